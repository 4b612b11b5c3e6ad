"""What Jam.py defines alike in every version: database, item and data type codes, and the
admin fields an import treats specially. What differs between versions is in ``layouts``,
what differs between databases in ``db.dialects``.
"""

# SYS_TASKS.F_DB_TYPE and task.dat's db_type; 7 to 10 exist in Jam.py 7.0 only. The names
# are Jam.py's (Consts.DB_TYPE), lower-cased.
SQLITE, FIREBIRD, POSTGRESQL, MYSQL, ORACLE, MSSQL = 1, 2, 3, 4, 5, 6
DATABRICKS, DUCKDB, SQLCIPHER, MSACCESS = 7, 8, 9, 10
DB_TYPE_NAMES = {
    SQLITE: "sqlite", FIREBIRD: "firebird", POSTGRESQL: "postgresql",
    MYSQL: "mysql", ORACLE: "oracle", MSSQL: "mssql",
    DATABRICKS: "databricks", DUCKDB: "duckdb", SQLCIPHER: "sqlcipher", MSACCESS: "msaccess",
}
DB_TYPES_BY_NAME = {name: code for code, name in DB_TYPE_NAMES.items()}

# SYS_ITEMS.TYPE_ID
ROOT_TYPE, USERS_TYPE, ROLES_TYPE, TASKS_TYPE, TASK_TYPE = 1, 2, 3, 4, 5
ITEMS_TYPE, JOURNALS_TYPE, TABLES_TYPE, REPORTS_TYPE = 6, 7, 8, 9
ITEM_TYPE, JOURNAL_TYPE, TABLE_TYPE, REPORT_TYPE, DETAIL_TYPE = 10, 11, 12, 13, 14
# Item types that own a table in the project database.
TABLE_ITEM_TYPES = (ITEM_TYPE, TABLE_TYPE)
# SYS_ITEMS.SYS_ID of the items the Parameters dialog creates on demand.
HISTORY_SYS_ID, LOCKS_SYS_ID = 1, 2

# SYS_FIELDS.F_DATA_TYPE
TEXT, INTEGER, FLOAT, CURRENCY, DATE, DATETIME, BOOLEAN, LONGTEXT, KEYS, FILE, IMAGE = range(1, 12)

# Fields an import never copies: the target project keeps its own values.
HIDDEN_FIELDS = {
    "sys_items": frozenset({"f_gen_name"}),
    "sys_params": frozenset({
        "f_safe_mode", "f_debugging", "f_modification", "f_client_modified",
        "f_server_modified", "f_build_version", "f_params_version", "f_maintenance",
        "f_import_delay", "f_production"}),
}

# Fields holding database identifiers; Jam.py rewrites their case for the target database.
IDENTIFIER_FIELDS = {
    "sys_items": ("f_table_name", "f_gen_name"),
    "sys_fields": ("f_db_field_name",),
    "sys_indices": ("f_index_name",),
}
