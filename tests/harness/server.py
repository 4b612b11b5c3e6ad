"""A real Jam.py process serving a project on loopback, and a client for its /api.

`JamClient` talks to a running project the way its browser client (jam/js/jam.js) does:

* every call is ``POST /api`` with the JSON body ``[method, task_id, item_id, params,
  modification]``; the answer is ``{"result": {"status", "data", "modification"}, "error"}``;
* the page starts with ``connect`` and ``load`` (task and item id still null); ``load``
  answers the task tree (groups, items, details with their ids and field definitions),
  the settings and the ``modification`` counter, which every later call sends back;
* ``open`` sends the item's field list and filters and receives rows of values (the
  fields that are not "master fields", then one lookup text per lookup field);
* ``apply`` sends the change log of one item: ``{"fields", "expanded": false, "data":
  {change_id: {"record", "old_record", "details"}}}`` where a record is its values
  followed by ``[record_status, {}, change_id]``; the server answers the new ids.

A project changed since ``load`` answers status 8 (the page would reload): the client
loads again and repeats the call once. Status 5 (not logged in) and 7 (maintenance)
raise `NotLoggedIn` and `UnderMaintenance`; error texts from the server raise `JamError`.
"""
import datetime
import decimal
import gzip
import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field as dc_field
from pathlib import Path

from . import jamenv

# Jam.py response statuses (facts §0).
NOT_LOGGED, MAINTENANCE, MODIFIED, RESPONSE = 5, 7, 8, 9
PROJECT_LOGGED = 6
STATUS_NAMES = {1: "no project", 2: "project not completed", 3: "project loading",
                4: "project error", NOT_LOGGED: "not logged in", PROJECT_LOGGED: "logged in",
                MAINTENANCE: "under maintenance", MODIFIED: "project modified"}

# Field data types (SYS_FIELDS.F_DATA_TYPE).
TEXT, INTEGER, FLOAT, CURRENCY, DATE, DATETIME, BOOLEAN, LONGTEXT, KEYS, FILE, IMAGE = \
    range(1, 12)
# Record statuses in a change log.
RECORD_INSERTED, RECORD_MODIFIED, RECORD_DELETED = 1, 2, 3
# Filter types, named as in `where` keys ("name__ge"); the type is the position + 1.
FILTERS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "range", "isnull", "exact",
           "contains", "startwith", "endwith", "contains_all")
# Positions in a field definition of the task tree (jam/dataset.py FIELD_DEF).
(F_ID, F_NAME, F_CAPTION, F_DATA_TYPE, F_SIZE, F_REQUIRED, F_LOOKUP_ITEM, F_LOOKUP_FIELD,
 F_DEFAULT_VALUE, F_MASTER_FIELD, F_LOOKUP_VALUES, F_DB_FIELD_NAME) = \
    (0, 1, 2, 3, 4, 5, 6, 7, 13, 14, 16, 25)


class JamError(Exception):
    """An error text answered by Jam.py (an exception on the server, a refused apply)."""


class JamStatusError(JamError):
    """Jam.py answered a status other than RESPONSE (9)."""

    def __init__(self, status, method, target=""):
        self.status = status
        self.method = method
        name = STATUS_NAMES.get(status, "unexpected status")
        super().__init__(f"Jam.py answered status {status} ({name}) to {method!r}"
                         + (f" on {target}" if target else ""))


class NotLoggedIn(JamStatusError):
    """Status 5: safe mode and no valid session (call `login()` first)."""


class UnderMaintenance(JamStatusError):
    """Status 7: the project is being imported or otherwise under maintenance."""


class ProjectModified(JamStatusError):
    """Status 8: the project changed since `load`, and again after reloading."""


_STATUS_ERRORS = {NOT_LOGGED: NotLoggedIn, MAINTENANCE: UnderMaintenance,
                  MODIFIED: ProjectModified}


@dataclass(frozen=True)
class FieldInfo:
    """One field definition of the task tree."""
    id: int
    name: str
    caption: str
    data_type: int
    size: int
    required: bool
    lookup_item: int          # item id, 0 when not a lookup field
    lookup_field: int
    master_field: int         # id of the lookup field this one follows, 0 when none
    default_value: str
    lookup_values: object     # its lookup list [[value, text], ...], or None
    db_field_name: str

    @classmethod
    def from_def(cls, d, lookup_lists=None):
        """A field definition; a lookup list is sent as an id into the task's lists."""
        values = d[F_LOOKUP_VALUES]
        if values and not isinstance(values, list):
            values = (lookup_lists or {}).get(str(values))
        return cls(d[F_ID], d[F_NAME], d[F_CAPTION], d[F_DATA_TYPE], d[F_SIZE],
                   bool(d[F_REQUIRED]), d[F_LOOKUP_ITEM] or 0, d[F_LOOKUP_FIELD] or 0,
                   d[F_MASTER_FIELD] or 0, d[F_DEFAULT_VALUE] or "", values or None,
                   d[F_DB_FIELD_NAME] if len(d) > F_DB_FIELD_NAME else None)


@dataclass
class ItemInfo:
    """An item of the task tree: a group, a catalog/journal/table, a report or a detail."""
    id: int
    name: str
    caption: str
    type: int
    fields: tuple = ()
    primary_key: str = None
    deleted_flag: str = None
    master_id_field: str = None
    master_rec_id_field: str = None
    edit_lock: bool = False
    prototype_id: int = None
    master: "ItemInfo" = None
    details: dict = dc_field(default_factory=dict)
    children: list = dc_field(default_factory=list)

    @property
    def path(self):
        return f"{self.master.name}.{self.name}" if self.master else self.name

    @property
    def field_names(self):
        return [f.name for f in self.fields]

    @property
    def record_fields(self):
        """The fields a record (and a change log) carries: all but the master fields."""
        return [f for f in self.fields if not f.master_field]

    def field(self, name):
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.path} has no field {name!r} (fields: {self.field_names})")


class Record(dict):
    """A row from `open`: {field_name: value}; `lookups` holds the lookup texts."""

    def __init__(self, values, lookups=None):
        super().__init__(values)
        self.lookups = lookups or {}


def _to_json(value):
    """Python values in the form jam.js puts them in a request."""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (list, tuple, set)):
        return [_to_json(v) for v in value]
    return value


def _parse_datetime(text):
    text = text.replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(text, fmt)
        except ValueError:
            pass
    raise ValueError(f"not a Jam.py date/time: {text!r}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JamClient:
    """Speaks Jam.py's JSON protocol: POST /api [method, task_id, item_id, params, modification]."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.modification = 0
        self.info = None          # the cached `load` answer
        self.task_id = None
        self.lock_item = None     # the task's edit-lock item id (records get versions)
        self.items = {}           # name -> ItemInfo, as jam.js names them; "master.detail"
        self.items_by_id = {}
        self.last_apply = None    # the server's answer to the last insert/update/delete
        self.last_detail_ids = {}  # detail name -> new ids, from the last insert
        self.major = None         # the serving Jam.py's major release, from `load`

    def get(self, path, timeout=30):
        with self.opener.open(self.base_url + path, timeout=timeout) as response:
            return response.status, response.read()

    def api(self, method, task_id=1, item_id=0, params=None, timeout=60):
        body = json.dumps([method, task_id, item_id, params or [], self.modification]).encode()
        request = urllib.request.Request(
            self.base_url + "/api", data=body,
            headers={"Content-Type": "application/json", "Accept-Encoding": "gzip"},
        )
        with self.opener.open(request, timeout=timeout) as response:
            data = response.read()
            if response.headers.get("Content-Encoding") == "gzip":
                data = gzip.decompress(data)
        answer = json.loads(data)
        result = answer.get("result") or {}
        if result.get("modification") is not None:
            self.modification = result["modification"]
        return answer

    def status(self, method="load", task_id=1, item_id=0, params=None):
        return (self.api(method, task_id, item_id, params).get("result") or {}).get("status")

    def login(self, login="admin", password="111", task_id=1):
        answer = self.api("login", task_id, 0, [{"login": login, "password": password}])
        if (answer.get("result") or {}).get("data"):
            self.info = None  # the next load brings this user's info and privileges
        return answer

    # ------------------------------------------------------------------ the page's calls

    def load(self, refresh=False):
        """What the page does on start: ``connect``, then ``load`` (task id still null).

        Returns (and caches) the answer: ``{"status": 9, "modification", "task", "settings",
        "locale", "language", "user_info", "privileges"}``; ``task`` is the item tree."""
        if self.info is not None and not refresh:
            return self.info
        connected = self._checked(self.api("connect", None, None, None), "connect")
        if connected != PROJECT_LOGGED:
            raise NotLoggedIn(NOT_LOGGED, "connect")
        answer = self.api("load", None, None, None)
        info, error = self._checked(answer, "load")[:2]
        if error:
            raise JamError(f"load: {error}")
        self.modification = info["settings"]["MODIFICATION"]
        self.major = int(info["settings"]["JAM_VERSION"].split(".")[0])
        self._index(info["task"])
        self.info = {"status": answer["result"]["status"], "modification": self.modification,
                     **info}
        return self.info

    def item(self, name):
        """The ItemInfo for a name (as jam.js's ``task.<name>``), "master.detail", or an id."""
        self.load()
        if isinstance(name, ItemInfo):
            name = name.path
        found = self.items_by_id.get(name) if isinstance(name, int) else self.items.get(name)
        if found is None:
            raise KeyError(f"no item {name!r} in the task (items: {sorted(self.items)})")
        return found

    def item_id(self, name):
        return self.item(name).id

    def open(self, item_name, where=None, order_by=None, limit=None, offset=0, fields=None,
             expanded=True, master_rec_id=None, params=None):
        """Records of an item: a list of `Record` ({field_name: value}, `.lookups` texts).

        where: {"name": value, "name__<filter>": value} as jam.js ``set_where`` (filters:
        FILTERS); order_by: ["name", "-name"]; a detail ("orders.order_lines") needs the
        master's record id."""
        item, names, rows, unused = self._open_rows(
            item_name, where, order_by, limit, offset, fields, expanded, master_rec_id, params)
        layout = self._row_layout(item, names, expanded)
        return [self._record(item, layout, row) for row in rows]

    def insert(self, item_name, values, details=None):
        """Append one record (with detail records: {"detail": [values, ...]}) and apply it,
        as a page's edit form does. Returns the new id (detail ids: `last_detail_ids`)."""
        def changes(item):
            if item.master:
                raise ValueError(f"{item.path} is a detail: insert it with its master record")
            detail_logs = {}
            for detail_name, rows in (details or {}).items():
                detail = item.details.get(detail_name)
                if detail is None:
                    raise KeyError(f"{item.path} has no detail {detail_name!r} "
                                   f"(details: {sorted(item.details)})")
                detail_logs[str(detail.id)] = self._change_log(detail, {
                    str(n): (self._new_record(detail, row, str(n)), None, {})
                    for n, row in enumerate(rows, 1)})
            log = self._change_log(item, {"1": (self._new_record(item, values, "1"), None,
                                                detail_logs)})
            return [log, {}]

        item, result = self._apply(item_name, changes)
        change = self._change(result, "1", item)
        self.last_detail_ids = {}
        for detail_result in change.get("details") or []:
            detail = self.items_by_id[int(detail_result["ID"])]
            done = sorted(detail_result["changes"], key=lambda c: int(c["log_id"]))
            self.last_detail_ids[detail.name] = [c["rec_id"] for c in done]
        return change["rec_id"]

    def update(self, item_name, id, values):
        """Change fields of one record: open it (with its edit-lock version when the item
        has one, as the edit form does), then apply it with its old values."""
        item, old, version = self._fetch(item_name, id, for_edit=True)

        def changes(item):
            self._check_names(item, values)
            new = dict(old)
            new.update({k: self._encode(item.field(k), v) for k, v in values.items()})
            record = [new.get(f.name) for f in item.record_fields] + [[RECORD_MODIFIED, {}, "1"]]
            old_record = [old.get(f.name) for f in item.record_fields] + [[None, {}, "1"]]
            params = {} if version is None else {"__edit_record_version": version}
            return [self._change_log(item, {"1": (record, old_record, {})}), params]

        self._apply(item_name, changes)

    def delete(self, item_name, id):
        """Delete one record, as a view does with the row it shows."""
        item, old, unused = self._fetch(item_name, id, for_edit=False)

        def changes(item):
            record = [old.get(f.name) for f in item.record_fields] + [[RECORD_DELETED, {}, "1"]]
            return [self._change_log(item, {"1": (record, None, {})}), {}]

        self._apply(item_name, changes)

    # ------------------------------------------------------------------ protocol details

    def _checked(self, answer, method, target=""):
        """The answer's data; an error text or a status other than RESPONSE raises."""
        if answer.get("error"):
            raise JamError(f"{method}{' ' + target if target else ''}: {answer['error']}")
        result = answer.get("result") or {}
        status = result.get("status")
        if status != RESPONSE:
            raise _STATUS_ERRORS.get(status, JamStatusError)(status, method, target)
        return result.get("data")

    def _call(self, method, item_name, build_params):
        """Send a call for an item. Status 8 (the project changed since `load`): load again,
        find the item by name in the new tree and repeat the call once."""
        for attempt in (1, 2):
            item = self.item(item_name)
            answer = self.api(method, self.task_id, item.id, build_params(item))
            status = (answer.get("result") or {}).get("status")
            if status == MODIFIED and attempt == 1 and not answer.get("error"):
                # The page reloads; until a load succeeds (not during maintenance, say) the
                # task tree is stale, though the answer brought the new modification.
                self.info = None
                self.load()
                continue
            data = self._checked(answer, method, item.path)
            if isinstance(data, list) and len(data) > 1 and data[1]:
                raise JamError(f"{method} {item.path}: {data[1]}")
            return item, data

    def _index(self, task):
        self.task_id = task["id"]
        self.lock_item = task.get("lock_item")
        self.items, self.items_by_id = {}, {}
        lookup_lists = task.get("lookup_lists") or {}

        def add(info, master=None):
            item = ItemInfo(
                id=info["id"], name=info["name"], caption=info.get("caption"),
                type=info.get("type"),
                fields=tuple(FieldInfo.from_def(d, lookup_lists)
                             for d in info.get("fields") or ()),
                primary_key=info.get("primary_key"), deleted_flag=info.get("deleted_flag"),
                master_id_field=info.get("master_id") or None,
                master_rec_id_field=info.get("master_rec_id") or None,
                edit_lock=bool(info.get("edit_lock")), prototype_id=info.get("prototype_ID"),
                master=master)
            self.items_by_id[item.id] = item
            if master is not None:
                master.details[item.name] = item
                self.items[item.path] = item
            elif item.name not in self.items:   # jam.js: task[name], first one wins
                self.items[item.name] = item
            for child_type, child in info.get("items") or ():
                # Details (type 0) live inside their master item.
                item.children.append(add(child, item if child_type == 0 else None))
            return item

        for child_type, child in task.get("items") or ():
            add(child)

    def _check_names(self, item, values):
        for name in values:
            f = item.field(name)
            if f.master_field:
                raise ValueError(f"{item.path}.{name} follows a lookup field; set that one")

    def _order_list(self, item, order_by):
        if isinstance(order_by, str):
            order_by = [order_by]
        result = []
        for name in order_by or ():
            desc = name.startswith("-")
            result.append([item.field(name.lstrip("-")).name, desc])
        return result

    def _filters(self, item, where):
        result = []
        for key, value in (where or {}).items():
            name, separator, kind = key.partition("__")
            kind = kind or "eq"
            if kind not in FILTERS:
                raise ValueError(f"unknown filter {key!r} (filters: {FILTERS})")
            f = item.field(name)
            if value is None:           # jam.js leaves out filters without a value
                continue
            filter_type = FILTERS.index(kind) + 1
            if f.data_type == DATETIME and kind != "isnull" and \
                    isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
                value = datetime.datetime.combine(value, datetime.time())
            result.append([name, filter_type, _to_json(value)])
        return result

    def _open_rows(self, item_name, where=None, order_by=None, limit=None, offset=0,
                   fields=None, expanded=True, master_rec_id=None, params=None):
        """The ``open`` call: (item, field names, raw rows, edit-lock version)."""
        used = {}

        def build(item):
            names = list(fields) if fields else item.field_names
            for name in names:
                item.field(name)
            p = dict(params or {})
            p.update({"__expanded": bool(expanded), "__fields": names, "__open_empty": False,
                      "__order": self._order_list(item, order_by),
                      "__filters": self._filters(item, where),
                      "__limit": int(limit or 0), "__offset": int(offset or 0) if limit else 0})
            if item.master:
                if master_rec_id is None:
                    raise ValueError(f"opening the detail {item.path} needs master_rec_id")
                p["__master_id"] = item.master.id
                p["__master_rec_id"] = master_rec_id
            used["names"] = names
            return p

        item, data = self._call("open", item_name, build)
        rows = data[0] or []
        version = data[2] if len(data) > 2 else None
        return item, used["names"], rows, version

    def _row_layout(self, item, names, expanded):
        """Where each field's value and lookup text sit in a row (jam.js ``_bind_fields``):
        the fields that are not master fields in order, then one text per lookup field."""
        fields = [item.field(n) for n in names]
        by_id = {f.id: f for f in item.fields}
        bind, lookup, j = {}, {}, 0
        for f in fields:
            if not f.master_field:
                bind[f.name] = j
                j += 1
        for f in fields:
            if f.master_field:
                bind[f.name] = bind.get(getattr(by_id.get(f.master_field), "name", None))
        if expanded:
            for f in fields:
                if f.lookup_item:
                    lookup[f.name] = j
                    j += 1
        return fields, bind, lookup, j

    def _record(self, item, layout, row):
        fields, bind, lookup, width = layout
        if len(row) != width:
            raise JamError(f"open {item.path}: a row has {len(row)} values, expected {width}")
        values, texts = {}, {}
        for f in fields:
            index = bind[f.name]
            raw = None if index is None else row[index]
            values[f.name] = raw if f.master_field else self._decode(f.data_type, raw)
            if f.name in lookup:
                texts[f.name] = self._decode(self._lookup_type(f), row[lookup[f.name]])
            elif f.lookup_values and raw is not None:
                texts[f.name] = dict((v, t) for v, t in f.lookup_values).get(raw)
        return Record(values, texts)

    def _lookup_type(self, f):
        target = self.items_by_id.get(f.lookup_item)
        for lf in getattr(target, "fields", ()):
            if lf.id == f.lookup_field:
                return None if lf.lookup_item else lf.data_type
        return None

    @staticmethod
    def _decode(data_type, value):
        """A value of a row as jam.js hands it out (dates as dates, booleans, key lists)."""
        if value is None:
            return None
        if data_type == DATE and isinstance(value, str):
            return _parse_datetime(value).date()
        if data_type == DATETIME and isinstance(value, str):
            return _parse_datetime(value)
        if data_type == BOOLEAN:
            return bool(value)
        if data_type == KEYS and isinstance(value, str):
            return [int(v) for v in value.split(";") if v]
        return value

    def _encode(self, f, value):
        """A value as jam.js's ``field.value = ...`` stores it in a record."""
        if value is None:
            return None
        if f.data_type == CURRENCY:
            digits = int(((self.info or {}).get("locale") or {}).get("FRAC_DIGITS", 2))
            return round(float(value), digits)
        if f.data_type == BOOLEAN:
            return 1 if value else 0
        if f.data_type == DATE and isinstance(value, datetime.date):
            return value.strftime("%Y-%m-%d")
        if f.data_type == DATETIME and isinstance(value, datetime.date):
            if not isinstance(value, datetime.datetime):
                value = datetime.datetime.combine(value, datetime.time())
            return value.strftime("%Y-%m-%d %H:%M:%S")
        if f.data_type == TEXT:
            return str(value)
        if f.data_type == KEYS and isinstance(value, (list, tuple, set)):
            return ";".join(str(v) for v in value)
        return _to_json(value)

    @staticmethod
    def _default(f):
        """jam.js ``assign_default_value`` for an appended record."""
        text = f.default_value
        try:
            if f.data_type == INTEGER:
                return int(text)
            if f.data_type in (FLOAT, CURRENCY):
                return float(text)
            if f.data_type == DATE and text == "current date":
                return datetime.date.today()
            if f.data_type == DATETIME and text == "current datetime":
                return datetime.datetime.now().replace(microsecond=0)
            if f.data_type == BOOLEAN and text in ("true", "false"):
                return text == "true"
            if f.data_type in (TEXT, LONGTEXT):
                return text
        except ValueError:
            pass
        return None

    def _new_record(self, item, values, change_id):
        """An appended record: defaults, then the values; its info [INSERTED, {}, id]."""
        self._check_names(item, values)
        row = {f.name: self._default(f) for f in item.record_fields if f.default_value}
        row.update(values)
        return [self._encode(f, row.get(f.name)) for f in item.record_fields] + \
            [[RECORD_INSERTED, {}, change_id]]

    def _change_log(self, item, records):
        """{change_id: (record, old_record, details)} -> the change log ``apply`` sends:
        5.x's records by change id, each with its info [status, {}, id] last and its old
        values; 7.x's a list of logs, each record's status and index beside its values."""
        fields = [f.name for f in item.record_fields]
        if self.major < 7:
            return {"fields": fields, "expanded": False,
                    "data": {cid: {"record": record, "details": details, "old_record": old}
                             for cid, (record, old, details) in records.items()}}
        return {"fields": fields, "expanded": False, "logs": [
            {"record_status": record[-1][0], "log_index": int(cid), "record": record[:-1],
             "details": details} for cid, (record, unused, details) in records.items()]}

    def _apply(self, item_name, build):
        item, data = self._call("apply", item_name, build)
        self.last_apply = data[0]
        return item, data[0]

    def _change(self, result, log_id, item):
        """The answer to the change ``log_id`` as 5.x gives it: {"rec_id", "details":
        [{"ID", "changes": [{"log_id", "rec_id"}]}]}; 7.x answers with the applied logs
        (each record's values, its new id among them), converted."""
        if self.major >= 7:
            result = {"changes": self._changes_70(result, item)}
        for change in (result or {}).get("changes") or ():
            if str(change.get("log_id")) == log_id:
                return change
        raise JamError(f"apply {item.path}: no new id in the answer {result!r}")

    def _changes_70(self, result, item):
        key = [f.name for f in item.record_fields].index(item.primary_key)
        return [{"log_id": log["log_index"], "rec_id": log["record"][key], "details": [
            {"ID": detail_id, "changes": self._changes_70(
                detail, self.items_by_id[int(detail_id)])}
            for detail_id, detail in (log.get("details") or {}).items()]}
            for log in (result or {}).get("logs") or ()]

    def _fetch(self, item_name, id, for_edit):
        """One record's raw values by field name (as the page holds it), and its
        edit-lock version when opened for editing an item with an edit lock."""
        item = self.item(item_name)
        params = None
        if for_edit and self.lock_item and item.edit_lock:
            params = {"__edit_record_id": id}
        item, names, rows, version = self._open_rows(
            item_name, where={item.primary_key: id}, params=params)
        if len(rows) != 1:
            raise LookupError(f"{item.path}: no record with {item.primary_key} = {id!r}")
        bind = self._row_layout(item, names, True)[1]
        old = {f.name: rows[0][bind[f.name]] for f in item.record_fields}
        return item, old, version if params else None


class JamServer:
    """Start `jamside/serve.py` for a project and stop it (process group) on exit.

    own_wsgi: serve the ``application`` of the project's own wsgi.py (as mod_wsgi does,
    middleware included) instead of calling create_application; python_path: folders the
    server process imports from besides the Jam.py venv; jam: the release whose Python
    serves (a `jamenv.JamEnv`, the reference 5.4.136 when not given)."""

    def __init__(self, project_dir, port=None, log_path=None, own_wsgi=False, python_path=(),
                 jam=None):
        self.project_dir = Path(project_dir)
        self.port = port or free_port()
        self.log_path = Path(log_path or self.project_dir.parent / f"jam-{self.port}.log")
        self.own_wsgi = own_wsgi
        self.python_path = [str(p) for p in python_path]
        self.jam = jam or jamenv.REFERENCE
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def client(self):
        return JamClient(self.url)

    def start(self, timeout=60):
        log = open(self.log_path, "ab")
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        if self.python_path:
            env["PYTHONPATH"] = os.pathsep.join(
                [*self.python_path, *filter(None, [env.get("PYTHONPATH")])])
        command = [self.jam.python(), str(jamenv.JAMSIDE / "serve.py"), str(self.project_dir),
                   str(self.port), *(["wsgi.py"] if self.own_wsgi else [])]
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Jam.py exited with {self.process.returncode}:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"Jam.py did not listen on {self.port} within {timeout}s:\n{self.log()}")

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
