"""The data masking draws from: name lists and a fixed stream of lorem-ipsum words."""

FIRST_NAMES = (
    "Aaron", "Abigail", "Adam", "Adrian", "Aiden", "Aisha", "Alan", "Albert", "Alejandro",
    "Alex", "Alexander", "Alexandra", "Alice", "Alicia", "Alina", "Amanda", "Amber",
    "Amelia", "Amir", "Amy", "Ana", "Andre", "Andrea", "Andrew", "Angela", "Anita", "Ann",
    "Anna", "Anthony", "Antonio", "Arjun", "Arthur", "Ashley", "Audrey", "Ava", "Barbara",
    "Beatrice", "Ben", "Benjamin", "Bernard", "Beth", "Bianca", "Boris", "Brandon",
    "Brenda", "Brian", "Bruno", "Caleb", "Camila", "Carl", "Carla", "Carlos", "Carmen",
    "Caroline", "Catherine", "Cecilia", "Charles", "Charlotte", "Chloe", "Chris",
    "Christian", "Christina", "Claire", "Clara", "Colin", "Connor", "Craig", "Cynthia",
    "Daniel", "Daniela", "Darius", "David", "Deborah", "Denise", "Dennis", "Diana", "Diego",
    "Dmitri", "Dominic", "Donna", "Dylan", "Edward", "Elena", "Eli", "Elias", "Elijah",
    "Elizabeth", "Ella", "Ellen", "Emily", "Emma", "Eric", "Erik", "Erin", "Ethan", "Eva",
    "Evelyn", "Fatima", "Felix", "Fernando", "Fiona", "Frances", "Francesca", "Frank",
    "Gabriel", "Gabriela", "George", "Georgia", "Gerald", "Grace", "Gregory", "Hana",
    "Hannah", "Harold", "Harry", "Hazel", "Heather", "Helen", "Henry", "Hugo", "Ian",
    "Ines", "Irene", "Isaac", "Isabel", "Isabella", "Ivan", "Jack", "Jacob", "Jade",
    "James", "Jane", "Janet", "Jasmine", "Jason", "Javier", "Jean", "Jennifer", "Jessica",
    "Joan", "Joel", "John", "Jonathan", "Jorge", "Jose", "Joseph", "Joshua", "Joyce",
    "Juan", "Julia", "Julian", "Julie", "Justin", "Karen", "Karl", "Kate", "Katherine",
    "Keith", "Kenji", "Kevin", "Kim", "Laura", "Lauren", "Leah", "Leo", "Leon", "Liam",
    "Lily", "Linda", "Lisa", "Logan", "Lucas", "Lucia", "Luis", "Luke", "Lydia", "Marco",
    "Margaret", "Maria", "Marie", "Mark", "Martin", "Mary", "Mateo", "Matthew", "Maya",
    "Megan", "Mei", "Melissa", "Mia", "Michael", "Michelle", "Miguel", "Mila", "Monica",
    "Nadia", "Naomi", "Natalia", "Nathan", "Nicholas", "Nicole", "Nina", "Noah", "Nora",
    "Oliver", "Olivia", "Omar", "Oscar", "Owen", "Pablo", "Patricia", "Patrick", "Paul",
    "Paula", "Peter", "Philip", "Priya", "Rachel", "Rafael", "Rahul", "Raymond", "Rebecca",
    "Richard", "Robert", "Roberto", "Rosa", "Ruby", "Ruth", "Ryan", "Samantha", "Samuel",
    "Sandra", "Sara", "Sarah", "Scott", "Sean", "Sebastian", "Sergio", "Simon", "Sofia",
    "Sophie", "Stephen", "Steven", "Susan", "Sven", "Tara", "Teresa", "Thomas", "Timothy",
    "Tyler", "Valentina", "Vanessa", "Victor", "Victoria", "Vincent", "Walter", "William",
    "Yara", "Yuki", "Zara", "Zoe",
)

LAST_NAMES = (
    "Abbott", "Adams", "Ahmed", "Allen", "Alvarez", "Anderson", "Andrews", "Armstrong",
    "Bailey", "Baker", "Banks", "Barker", "Barnes", "Bauer", "Becker", "Bell", "Bennett",
    "Berg", "Bishop", "Black", "Blake", "Brooks", "Brown", "Bryant", "Burke", "Butler",
    "Campbell", "Carlson", "Carter", "Castillo", "Chen", "Clark", "Cole", "Coleman",
    "Collins", "Cook", "Cooper", "Costa", "Cox", "Crawford", "Cruz", "Cunningham",
    "Davies", "Davis", "Dawson", "Diaz", "Dixon", "Duncan", "Dunn", "Edwards", "Elliott",
    "Ellis", "Evans", "Fernandez", "Ferrari", "Fischer", "Fisher", "Fleming", "Flores",
    "Ford", "Foster", "Fox", "Francis", "Fraser", "Garcia", "Gardner", "Gibson", "Gomez",
    "Gonzalez", "Gordon", "Graham", "Grant", "Gray", "Green", "Griffin", "Gupta", "Hall",
    "Hamilton", "Hansen", "Harper", "Harris", "Harrison", "Hart", "Hayes", "Henderson",
    "Hernandez", "Hill", "Hoffmann", "Holmes", "Howard", "Hughes", "Hunt", "Hunter",
    "Ivanov", "Jackson", "Jansen", "Jenkins", "Johnson", "Johnston", "Jones", "Jordan",
    "Kaur", "Keller", "Kelly", "Kennedy", "Khan", "King", "Klein", "Knight", "Kowalski",
    "Kumar", "Lambert", "Lane", "Larsen", "Lawrence", "Lee", "Lewis", "Li", "Lopez",
    "Marshall", "Martinez", "Mason", "Matthews", "Meyer", "Miller", "Mills", "Mitchell",
    "Moore", "Morales", "Moreno", "Morgan", "Morris", "Murphy", "Murray", "Nakamura",
    "Nelson", "Nguyen", "Nielsen", "Novak", "Olsen", "Ortiz", "Owens", "Palmer", "Parker",
    "Patel", "Payne", "Pearson", "Perez", "Perry", "Peters", "Petrov", "Phillips",
    "Pierce", "Porter", "Powell", "Price", "Quinn", "Ramirez", "Reed", "Reyes", "Reynolds",
    "Rice", "Richards", "Richardson", "Rivera", "Roberts", "Robertson", "Robinson",
    "Rodriguez", "Rogers", "Romano", "Rossi", "Ross", "Russell", "Sanchez", "Sanders",
    "Santos", "Schmidt", "Schneider", "Schulz", "Shaw", "Silva", "Simmons", "Simpson",
    "Singh", "Smith", "Snyder", "Spencer", "Stewart", "Stone", "Sullivan", "Suzuki",
    "Tanaka", "Taylor", "Thompson", "Torres", "Tucker", "Turner", "Walker", "Wallace",
    "Walsh", "Ward", "Warren", "Watson", "Weber", "Wells", "West", "White", "Williams",
    "Willis", "Wilson", "Wood", "Wright", "Yamamoto", "Young", "Zhang", "Ziegler",
    "Andersen", "Bergstrom", "Dubois", "Esposito", "Fontaine", "Haddad", "Jensen",
    "Lindqvist", "Moretti", "Okafor", "Pereira", "Sato", "Vogel", "Wagner", "Weiss",
)

_LOREM_WORDS = (
    "lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed",
    "do", "eiusmod", "tempor", "incididunt", "ut", "labore", "et", "dolore", "magna",
    "aliqua", "enim", "ad", "minim", "veniam", "quis", "nostrud", "exercitation",
    "ullamco", "laboris", "nisi", "aliquip", "ex", "ea", "commodo", "consequat", "duis",
    "aute", "irure", "in", "reprehenderit", "voluptate", "velit", "esse", "cillum",
    "fugiat", "nulla", "pariatur", "excepteur", "sint", "occaecat", "cupidatat", "non",
    "proident", "sunt", "culpa", "qui", "officia", "deserunt", "mollit", "anim", "id",
    "est", "laborum",
)


def _lorem_corpus(size=4096):
    """A fixed stream of lorem words (a simple LCG picks them: the same on every Python)."""
    words, starts, length, state = [], [], 0, 12345
    while length < size:
        state = (state * 1103515245 + 12345) % 2147483648
        word = _LOREM_WORDS[(state >> 16) % len(_LOREM_WORDS)]
        starts.append(length)
        words.append(word)
        length += len(word) + 1
    return " ".join(words) + " ", tuple(starts)


LOREM, LOREM_STARTS = _lorem_corpus()
