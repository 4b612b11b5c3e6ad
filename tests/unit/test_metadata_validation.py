"""The semantic validation of metadata (archive.validate), rule by rule: each test makes
one small mutation of a real export - the 7.0 demo as Jam.py's own Export wrote it - and
expects a problem that names the row, or none where Jam.py's real projects do the same."""
import copy
import json
import pickle
import shutil
import sqlite3
from pathlib import Path

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive import export
from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive.read import (
    metadata_from_task_data)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive.validate import (
    MAX_LISTED, find_problems, validate_metadata)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import (
    InvalidMetadataError)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import defs as j
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.installed import (
    InstalledJam)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project

JAM70 = Path(__file__).resolve().parents[1] / "fixtures" / "jam70"
DEMO70 = json.loads((JAM70 / "demo-task.dat").read_text())
# Jam.py 7.0.120's jam/keywords.py holds these (see test_keywords_read_from_the_package).
KEYWORDS = frozenset({"BADGE", "LABEL", "HIDDEN", "PROGRESS", "TASK"})

CUSTOMERS, ARTISTS, INVOICES, INVOICE_TABLE, INVOICES_CLIENT = 10, 11, 16, 17, 57
FIRSTNAME, LASTNAME, ARTIST_NAME = 9, 10, 21
INVOICES_IDX = 9


@pytest.fixture
def md():
    return metadata_from_task_data(copy.deepcopy(DEMO70))[0]


def problems(metadata, db_type=j.SQLITE):
    return find_problems(metadata, db_type, KEYWORDS)


def has(metadata, *expected, db_type=j.SQLITE):
    """The problem that says all of ``expected`` (captions are the demo's own: its
    Customers item begins with a Cyrillic letter)."""
    found = problems(metadata, db_type)
    matching = [p for p in found if all(text in p for text in expected)]
    assert matching, found
    return matching[0]


def lookup_field(metadata):
    return next(row for row in metadata.fields.values()
                if row["f_object"] and row["owner_rec_id"] == INVOICES)


@pytest.mark.parametrize("db_type", [j.SQLITE, j.POSTGRESQL, j.MYSQL])
def test_the_real_export_passes(md, db_type):
    assert problems(md, db_type) == []
    validate_metadata(md, db_type, KEYWORDS)


# ------------------------------------------------------------------- types and ranges

@pytest.mark.parametrize("size, complaint", [
    ("abc", "is not a whole number"), ("40", "is not a whole number"),
    (-5, "needs a positive f_size"), (0, "needs a positive f_size"),
    (None, "needs a positive f_size"), (10 ** 15, "is above the 1000000000 characters"),
])
def test_a_text_size_must_be_a_positive_whole_number_within_the_database(md, size, complaint):
    md.fields[FIRSTNAME]["f_size"] = size
    has(md, complaint, "(firstname, id 9)",
        "of item", "(customers, id 10)")


def test_the_largest_text_size_depends_on_the_database(md):
    md.fields[FIRSTNAME]["f_size"] = 20_000
    assert problems(md, j.SQLITE) == [] and problems(md, j.POSTGRESQL) == []
    has(md, "above the 16383 characters a mysql text column holds", db_type=j.MYSQL)


def test_a_size_of_another_type_must_still_be_a_number(md):
    md.fields[10000]["f_size"] = "x"  # customers.id, an INTEGER
    has(md, "f_size 'x' is not a whole number", "(id, id 10000)")


@pytest.mark.parametrize("data_type", [0, 12, 99, "1", None, 1.0])
def test_an_unknown_data_type_is_refused(md, data_type):
    md.fields[LASTNAME]["f_data_type"] = data_type
    has(md, f"f_data_type {data_type!r} is not a Jam.py data type", "(lastname, id 10)")


def test_an_unknown_item_type_is_refused(md):
    md.items[CUSTOMERS]["type_id"] = 42
    has(md, "(customers, id 10): type_id 42 is not a Jam.py item type")


@pytest.mark.parametrize("table, row_id, flag", [
    ("sys_items", CUSTOMERS, "f_soft_delete"), ("sys_fields", FIRSTNAME, "f_required"),
    ("sys_indices", INVOICES_IDX, "f_unique_index"), ("sys_indices", INVOICES_IDX, "descending"),
    ("sys_privileges", 1, "f_can_view")])
def test_flags_are_yes_or_no(md, table, row_id, flag):
    md[table].rows[row_id][flag] = "yes"
    has(md, f"{flag} is 'yes', not a yes/no flag")


def test_sys_id_is_one_jam_py_sets(md):
    md.items[CUSTOMERS]["sys_id"] = 7
    has(md, "sys_id 7 is not one Jam.py sets")


# ------------------------------------------- the texts Jam.py reads when it loads a project

@pytest.mark.parametrize("table, row_id, field, where", [
    ("sys_items", CUSTOMERS, "f_server_module", "(customers, id 10)"),
    ("sys_items", CUSTOMERS, "f_web_client_module", "(customers, id 10)"),
    ("sys_items", CUSTOMERS, "f_js_funcs", "(customers, id 10)"),
    ("sys_items", CUSTOMERS, "f_info", "(customers, id 10)"),
    ("sys_fields", FIRSTNAME, "f_help", "(firstname, id 9)"),
    ("sys_filters", 5, "f_help", "filter 'From' (id 5) of item"),
    ("sys_lookup_lists", 2, "f_lookup_values_text", "lookup list 'Roles' (id 2)"),
])
def test_code_and_texts_jam_py_reads_must_be_text(md, table, row_id, field, where):
    # A BLOB column of admin.sqlite keeps a number a number: Jam.py 5.4.136's task load
    # then fails on compile() (status 4, project error), measured end to end.
    md[table].rows[row_id][field] = 1
    has(md, where, f"{field} is 1, not text")


def test_a_server_module_must_compile(md):
    md.items[CUSTOMERS]["f_server_module"] = "def on_open(item:\n    pass\n"
    has(md, "(customers, id 10): f_server_module is not Python that compiles (line 1:")
    md.items[CUSTOMERS]["f_server_module"] = "x = '\\d'\n"  # a SyntaxWarning only
    assert problems(md) == []


@pytest.mark.parametrize("info", [
    "abc", "json{", "json[]", 'json{"view": [], "edit": []}',
    'json{"view": [], "edit": [], "order": {}}',
    'json{"view": [], "edit": [], "order": [], "reports": 1}',
    pickle.dumps([1, 2], 0).decode(),  # plain data, not a layout
])
def test_an_item_form_layout_must_be_jam_py_json(md, info):
    md.items[CUSTOMERS]["f_info"] = info
    has(md, "(customers, id 10): f_info", "the item's form layout as Jam.py writes it")


def test_an_item_form_layout_pickle_that_would_run_code_is_refused_unrun(md, tmp_path):
    # Jam.py unpickles an F_INFO that is not "json": this one would create a file.
    marker = tmp_path / "ran"
    md.items[CUSTOMERS]["f_info"] = f"cos\nsystem\n(S'touch {marker}'\ntR."
    has(md, "(customers, id 10): f_info", "nor a pickle of plain data",
        "it names os.system")
    assert not marker.exists()


def test_an_item_form_layout_of_lists_or_objects_or_a_plain_pickle_passes(md):
    md.items[CUSTOMERS]["f_info"] = 'json{"view": [[9, false]], "edit": {}, "order": []}'
    md.items[ARTISTS]["f_info"] = ""
    # Older projects (the 5.4.136 demo's mail item) hold a protocol 0 pickle.
    md.items[INVOICES]["f_info"] = pickle.dumps(
        {"view": [[21]], "edit": [[21]], "order": []}, 0).decode()
    assert problems(md) == []


def test_a_lookup_list_must_have_its_values(md):
    # Jam.py 7.0.120 answers HTTP 500 to every request (json.loads(None)), measured.
    md["sys_lookup_lists"].rows[2]["f_lookup_values_text"] = None
    has(md, "lookup list 'Roles' (id 2): f_lookup_values_text is empty")


@pytest.mark.parametrize("table, row_id, where", [
    ("sys_items", CUSTOMERS, "(customers, id 10)"),
    ("sys_fields", FIRSTNAME, "(firstname, id 9)"),
    ("sys_indices", INVOICES_IDX, "(id 9) of item"),
    ("sys_privileges", 1, "privilege id 1"),
    ("sys_roles", 1, "sys_roles row id 1"),
])
@pytest.mark.parametrize("mark", [None, 2, "0"])
def test_a_row_is_deleted_or_not(md, table, row_id, where, mark):
    # Jam.py reads the rows whose DELETED = 0 (5.4.136 jam/sql.py where_clause): a NULL
    # hid a common field from Jam.py 5.4.136 and its task load failed (status 4), measured.
    md[table].rows[row_id]["deleted"] = mark
    has(md, where, f"deleted is {mark!r}, not 0 or 1")


@pytest.mark.parametrize("text", ["abc", "{}", "[1, 2]", '[[1, "a", 3]]'])
def test_a_lookup_list_must_be_pairs(md, text):
    md["sys_lookup_lists"].rows[2]["f_lookup_values_text"] = text
    has(md, "lookup list 'Roles' (id 2): f_lookup_values_text",
        "is not a JSON list of [value, text] pairs")


# ------------------------------------------------------------------------ references

def test_a_field_of_a_missing_item_is_refused(md):
    md.fields[FIRSTNAME]["owner_rec_id"] = 999
    has(md, "field 'FirstName' (firstname, id 9) of item None (None, id 999):",
        "owner_rec_id 999 is not the id of an existing item")


def test_an_item_with_a_missing_parent_is_refused(md):
    md.items[CUSTOMERS]["parent"] = 998
    has(md, "(customers, id 10): parent 998 is not the id")


def test_a_detail_needs_its_table_item(md):
    md.items[38]["table_id"] = 997
    has(md, "table_id 997 is not the id of an existing item")


def test_a_copy_needs_its_source(md):
    md.items[INVOICES_CLIENT]["f_copy_of"] = 996
    has(md, "f_copy_of 996 is not the id of an existing item")


@pytest.mark.parametrize("target", [1, 2, 38])  # the task, the Catalogs group, a detail
def test_a_lookup_item_holds_records(md, target):
    # Jam.py 7.0.120 answered HTTP 500 to every request after a lookup to the task item
    # (its task load: 'Task' object has no attribute 'details'), measured end to end.
    lookup_field(md)["f_object"] = target
    has(md, f"f_object {target} is item", "not an item with records of its own")


@pytest.mark.parametrize("ref", ["f_object_field", "f_object_field1", "f_object_field2"])
def test_a_lookup_field_needs_its_lookup_item(md, ref):
    # Jam.py 7.0.120 answered HTTP 500 to every request after an f_object_field on a field
    # without f_object (its task load: 'int' object has no attribute '_field_by_ID').
    md.fields[FIRSTNAME][ref] = LASTNAME
    has(md, "(firstname, id 9)", f"{ref} is 10, but the field has no lookup item")


def test_the_key_field_must_be_one_of_the_item(md):
    md.items[CUSTOMERS]["f_primary_key"] = 10002  # artists.id
    has(md, "(customers, id 10): f_primary_key 10002 is field", "of item 'Artists'",
        "not one of item")


def test_a_lookup_needs_its_item_and_field(md):
    field = lookup_field(md)
    field["f_object"] = 995
    assert any("f_object 995 is not the id of an existing item" in p for p in problems(md))
    md2 = metadata_from_task_data(copy.deepcopy(DEMO70))[0]
    lookup_field(md2)["f_object_field"] = ARTIST_NAME
    has(md2, "f_object_field 21 is field 'Name' (name, id 21) of item 'Artists'")


def test_a_lookup_list_must_exist(md):
    md.fields[LASTNAME]["f_lookup_values"] = 77
    has(md, "f_lookup_values 77 is not the id of an existing lookup list")


def test_a_master_field_must_be_a_field_of_the_same_item(md):
    md.fields[LASTNAME]["f_master_field"] = ARTIST_NAME
    has(md, "f_master_field 21 is field 'Name' (name, id 21) of item 'Artists'")


@pytest.mark.parametrize("text", ["[[50, true]", "not json", "[]", "[[50]]", '[["x", false]]',
                                  None, '{"50": true}'])
def test_an_index_field_list_must_be_jam_py_s_json(md, text):
    md.indices[INVOICES_IDX]["f_fields_list"] = text
    has(md, "index 'DEMO_INVOICES_IDX' (id 9) of item 'Invoices' (invoices, id 16)",
        "is not Jam.py's JSON list of [field id, descending] pairs")


def test_an_index_must_name_fields_of_its_item(md):
    md.indices[INVOICES_IDX]["f_fields_list"] = "[[4242, false]]"
    has(md, "f_fields_list field 4242 is not the id of an existing field")
    md.indices[INVOICES_IDX]["f_fields_list"] = f"[[{FIRSTNAME}, false]]"
    has(md, "f_fields_list field 9 is field 'FirstName'", "not one of item 'Invoices'")


def test_a_foreign_key_needs_a_lookup_field_of_its_item(md):
    index = md.indices[INVOICES_IDX]
    index.update(f_foreign_index=1, f_foreign_field=None)
    has(md, "a foreign key index needs f_foreign_field")
    index["f_foreign_field"] = 50  # the invoice date, not a lookup
    has(md, "which is not a lookup field")
    index["f_foreign_field"] = lookup_field(md)["id"]
    assert problems(md) == []


def test_an_index_of_a_missing_item_is_refused(md):
    md.indices[INVOICES_IDX]["owner_rec_id"] = 994
    has(md, "owner_rec_id 994 is not the id of an existing item")


def test_filters_and_report_parameters_are_checked(md):
    filter_id = next(iter(md["sys_filters"].rows))
    md["sys_filters"].rows[filter_id]["f_field"] = 993
    param_id = next(iter(md["sys_report_params"].rows))
    md["sys_report_params"].rows[param_id]["f_data_type"] = 50
    found = problems(md)
    assert len(found) == 2
    assert "f_field 993 is not the id of an existing field" in found[0]
    assert "report parameter 'id' (id, id 1) of item 'Print invoice' (invoice, id 19)" in found[1]


def test_a_text_report_parameter_needs_no_size(md):
    param = next(iter(md["sys_report_params"].rows.values()))
    param.update(f_data_type=j.TEXT, f_size=None)
    assert problems(md) == []
    param["f_size"] = "big"
    has(md, "report parameter", "f_size 'big' is not a whole number")


def test_privileges_need_their_role_and_field_privileges_their_field(md):
    md["sys_privileges"].rows[1]["owner_rec_id"] = 992
    md["sys_field_privileges"].rows[1]["field"] = FIRSTNAME
    found = problems(md)
    assert len(found) == 2
    assert "privilege id 1: owner_rec_id (role) 992 is not the id of an existing role" in found
    assert "field privilege id 1: field 9 is field 'FirstName'" in found[1]


def test_privileges_of_deleted_items_are_accepted_as_jam_py_leaves_them(md):
    md["sys_privileges"].rows[1]["item_id"] = 991
    assert problems(md) == []
    md["sys_privileges"].rows[1]["item_id"] = "x"
    has(md, "item_id 'x' is not an item id")


def test_parameters_name_existing_items(md):
    md["sys_params"].rows[1]["f_history_item"] = 990
    has(md, "project parameters (id 1): f_history_item 990 is not the id")


def test_deleted_rows_are_left_out(md):
    md.fields[FIRSTNAME].update(deleted=1, f_data_type=99)
    assert not any("f_data_type" in p for p in problems(md))
    # ... and what names them now names nothing (the invoice's customer lookup).
    has(md, "(firstname, id 46)", "f_object_field 9 is not the id of an existing field")


# ------------------------------------------------------------------------ uniqueness

def test_item_names_are_unique_details_per_master(md):
    md.items[11]["f_item_name"] = "CUSTOMERS"
    has(md, "item 'Artists' (CUSTOMERS, id 11): f_item_name 'CUSTOMERS' is also the name of "
            "item", "(customers, id 10)")
    md.items[11]["f_item_name"] = "artists"
    # Details of two masters share a name (both demos' invoice_table).
    assert md.items[38]["f_item_name"] == md.items[58]["f_item_name"]
    md.items[58]["parent"] = INVOICES
    has(md, "f_item_name 'invoice_table' is also the name of item")


def test_field_names_are_unique_per_item(md):
    md.fields[LASTNAME]["f_field_name"] = "firstname"
    found = problems(md)
    assert "f_field_name 'firstname' is also the name of field 'FirstName'" in found[0]


def test_column_names_are_unique_per_table(md):
    md.fields[LASTNAME]["f_db_field_name"] = "firstname"
    has(md, "column firstname of table DEMO_CUSTOMERS is also the column of field "
            "'FirstName' (firstname, id 9)")


def test_table_names_are_unique_but_copies_share_their_source_s(md):
    md.items[11]["f_table_name"] = "demo_customers"
    has(md, "item 'Artists' (artists, id 11): table demo_customers is also the table of "
            "item", "(customers, id 10)")


def test_index_names_are_unique_per_database_or_per_table(md):
    md.indices[19]["f_index_name"] = "DEMO_INVOICES_IDX"  # on another table
    has(md, "index name DEMO_INVOICES_IDX is also used by index id 9", db_type=j.POSTGRESQL)
    assert problems(md, j.MYSQL) == []
    md.indices[23]["f_index_name"] = "DEMO_INVOICES_IDX"  # on the same table
    assert any("also used by index id 9" in p for p in problems(md, j.MYSQL))


# ----------------------------------------------------------------- the Builder's rules

@pytest.mark.parametrize("name", ["1customers", "my-customers", "customers ", "", None, 5])
def test_item_names_are_identifiers(md, name):
    md.items[CUSTOMERS]["f_item_name"] = name
    assert any("id 10): f_item_name" in p for p in problems(md))


def test_reserved_words_are_refused(md):
    md.items[CUSTOMERS]["f_item_name"] = "task"
    md.fields[FIRSTNAME]["f_field_name"] = "badge"
    found = problems(md)
    assert len(found) == 2 and all("is a word Jam.py reserves" in p for p in found)
    assert find_problems(md, j.SQLITE, keywords=()) == []


def test_system_and_history_only_for_the_items_jam_py_names_so(md):
    assert md.items[52]["f_item_name"] == "history" and md.items[26]["f_item_name"] == "system"
    md.items[CUSTOMERS]["f_item_name"] = "History"
    has(md, "f_item_name 'History' is reserved for the item Jam.py creates with that name")


def test_field_names_are_identifiers(md):
    md.fields[FIRSTNAME]["f_field_name"] = "first name"
    has(md, "f_field_name 'first name' is not a name Jam.py's Builder accepts")


def test_names_fit_the_target_database(md):
    md.items[CUSTOMERS]["f_table_name"] = "T" * 64
    md.fields[FIRSTNAME]["f_db_field_name"] = "C" * 65
    md.indices[INVOICES_IDX]["f_index_name"] = "I" * 70
    assert problems(md, j.SQLITE) == []
    assert len(problems(md, j.POSTGRESQL)) == 3
    assert all("postgresql takes at most 63" in p for p in problems(md, j.POSTGRESQL))
    assert len(problems(md, j.MYSQL)) == 2  # a 64-character table name fits MySQL


# --------------------------------------------------------------------- the message

def test_every_problem_in_one_bounded_message(md):
    for row in md.fields.values():
        row["f_data_type"] = 99
    with pytest.raises(InvalidMetadataError) as error:
        validate_metadata(md, j.SQLITE, KEYWORDS, what="the archive x.zip")
    message = str(error.value)
    total = len(md.fields)
    assert message.startswith(f"the archive x.zip is not valid Jam.py metadata ({total} "
                              "problems; nothing was changed):")
    assert message.count("f_data_type 99 is not a Jam.py data type") == MAX_LISTED
    assert f"... and {total - MAX_LISTED} more" in message
    assert message.endswith("export again.")


def test_keywords_read_from_the_package(tmp_path):
    (tmp_path / "keywords.py").write_text('keywords = [\n    "Badge",\n    "TASK"\n]\n')
    assert InstalledJam("7.0.120", str(tmp_path)).keywords() == {"BADGE", "TASK"}
    assert InstalledJam("5.4.136", str(tmp_path / "none")).keywords() == frozenset()


def test_a_corrupt_development_project_does_not_export(tmp_path):
    folder = tmp_path / "dev"
    folder.mkdir()
    shutil.copy(JAM70 / "demo-admin.sqlite", folder / "admin.sqlite")
    con = sqlite3.connect(folder / "admin.sqlite")
    con.execute('UPDATE "SYS_FIELDS" SET "F_SIZE" = -5 WHERE "ID" = 9')
    con.commit()
    con.close()
    dest = tmp_path / "out"
    dest.mkdir()
    for check_mode in (True, False):
        with pytest.raises(InvalidMetadataError) as refused:
            export.export_project(Project(folder), dest, check_mode=check_mode)
        assert str(refused.value).startswith(f"the project {folder} is not valid Jam.py "
                                             "metadata (1 problem; nothing was changed):")
        assert "(firstname, id 9)" in str(refused.value)
    assert list(dest.iterdir()) == []
