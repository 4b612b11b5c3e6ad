"""What Jam.py defines: constants, admin tables and the fields its Export writes.

The names and orders below describe Jam.py's data format (``task.dat``) as written by
Jam.py 5.4 and 7.0, so that our archives read like the Builder's own.
"""

SQLITE, FIREBIRD, POSTGRESQL, MYSQL, ORACLE, MSSQL = 1, 2, 3, 4, 5, 6
DB_TYPE_NAMES = {
    SQLITE: "sqlite", FIREBIRD: "firebird", POSTGRESQL: "postgresql",
    MYSQL: "mysql", ORACLE: "oracle", MSSQL: "mssql",
}
DB_TYPES_BY_NAME = {name: code for code, name in DB_TYPE_NAMES.items()}

# Databases whose DDL takes part in a transaction (SQLite with the driver's transaction
# handling off, see dbconnect): an uncommitted change is gone after an error or a crash.
TRANSACTIONAL_DDL = frozenset({SQLITE, POSTGRESQL})

# Identifier case each database module applies to table, column, index and sequence names.
IDENTIFIER_UPPER = {SQLITE: True, FIREBIRD: True, POSTGRESQL: False, MYSQL: False,
                    ORACLE: True, MSSQL: True}


def identifier_case(db_type, name):
    """Jam.py's ``identifier_case`` of the database module for ``db_type``."""
    if not name:
        return name
    return name.upper() if IDENTIFIER_UPPER[db_type] else name.lower()


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

LAYOUT_54 = "5.4"
LAYOUT_70 = "7.0"

# Fields of each admin item in the order Jam.py's Export writes them (task.dat "fields").
_EXPORT_FIELDS_54 = {
    "sys_items": (
        "id deleted f_name f_item_name parent type_id table_id has_children f_index "
        "f_table_name f_gen_name f_view_template f_visible f_soft_delete f_web_client_module "
        "f_server_module f_info f_virtual_table f_js_external f_js_filename f_primary_key "
        "f_master_id f_master_rec_id f_js_funcs f_keep_history f_edit_lock sys_id "
        "f_select_all task_id f_deleted_flag f_record_version"),
    "sys_fields": (
        "id deleted owner_id owner_rec_id f_name f_field_name task_id f_db_field_name "
        "f_data_type f_size f_object f_object_field f_object_field1 f_object_field2 "
        "f_master_field f_multi_select f_multi_select_all f_enable_typehead f_lookup_values "
        "f_required f_default f_read_only f_alignment f_default_value f_help f_placeholder "
        "f_mask f_default_lookup_value f_image_edit_width f_image_edit_height "
        "f_image_view_width f_image_view_height f_image_placeholder f_image_camera "
        "f_file_download_btn f_file_open_btn f_file_accept f_textarea f_do_not_sanitize"),
    "sys_indices": (
        "id deleted owner_id owner_rec_id f_index_name descending f_unique_index "
        "f_foreign_index f_foreign_field f_fields_list task_id"),
    "sys_filters": (
        "id deleted owner_id owner_rec_id f_index f_field f_name f_filter_name f_data_type "
        "f_type f_multi_select_all f_visible f_help f_placeholder task_id"),
    "sys_report_params": (
        "id deleted owner_id owner_rec_id f_index f_name f_param_name f_data_type f_size "
        "f_object f_object_field f_object_field1 f_object_field2 f_multi_select "
        "f_multi_select_all f_enable_typehead f_lookup_values f_required f_visible "
        "f_alignment f_master_field f_help f_placeholder task_id"),
    "sys_roles": "id deleted f_name",
    "sys_params": (
        "id deleted f_safe_mode f_debugging f_con_pool_size f_language f_version "
        "f_persist_con f_single_file_js f_dynamic_js f_compressed_js f_field_id_gen "
        "f_timeout f_delete_reports_after f_ignore_change_ip f_history_item f_lock_item "
        "f_sys_group f_theme f_small_font f_full_width f_forms_in_tabs f_max_content_length "
        "f_modification f_import_delay f_client_modified f_server_modified f_build_version "
        "f_params_version f_maintenance f_production f_jam_version f_upload_file_ext"),
    "sys_privileges": (
        "id deleted owner_id owner_rec_id item_id owner_item f_can_view f_can_create "
        "f_can_edit f_can_delete"),
    "sys_lookup_lists": "id deleted f_name f_lookup_values_text",
}

_EXPORT_FIELDS_70 = {
    "sys_items": (
        "f_name f_item_name parent type_id table_id has_children f_index f_table_name "
        "f_gen_name f_view_template f_visible f_soft_delete f_web_client_module "
        "f_server_module f_info f_virtual_table f_js_external f_js_filename f_primary_key "
        "f_master_id f_master_rec_id f_js_funcs f_keep_history f_edit_lock sys_id "
        "f_select_all task_id f_deleted_flag f_record_version f_master_field id deleted "
        "f_copy_of f_master_applies"),
    "sys_fields": (
        "f_name f_field_name task_id f_db_field_name f_data_type f_size f_object "
        "f_object_field f_object_field1 f_object_field2 f_master_field f_multi_select "
        "f_multi_select_all f_enable_typehead f_lookup_values f_required f_default "
        "f_read_only f_alignment f_default_value f_help f_placeholder f_mask "
        "f_default_lookup_value f_image_placeholder f_image_camera f_file_download_btn "
        "f_file_open_btn f_file_accept f_calc_item f_calc_field f_calc_op id deleted "
        "owner_id owner_rec_id f_textarea f_do_not_sanitize f_calc_lookup_field "
        "f_image_edit_height f_image_edit_width f_image_view_height f_image_view_width"),
    "sys_indices": (
        "f_index_name descending f_unique_index f_foreign_index f_foreign_field "
        "f_fields_list task_id id deleted owner_id owner_rec_id"),
    "sys_filters": (
        "f_index f_field f_name f_filter_name f_data_type f_type f_multi_select_all "
        "f_visible f_help f_placeholder task_id id deleted owner_id owner_rec_id"),
    "sys_report_params": (
        "f_index f_name f_param_name f_data_type f_size f_object f_object_field "
        "f_object_field1 f_object_field2 f_multi_select f_multi_select_all "
        "f_enable_typehead f_lookup_values f_required f_visible f_alignment f_master_field "
        "f_help f_placeholder task_id f_calc_item f_calc_field f_calc_op f_read_only "
        "f_not_null id deleted owner_id owner_rec_id f_check_before_deleting"),
    "sys_roles": "f_name id deleted",
    "sys_params": (
        "f_safe_mode f_debugging f_con_pool_size f_language f_version f_persist_con "
        "f_single_file_js f_dynamic_js f_compressed_js f_field_id_gen f_timeout "
        "f_delete_reports_after f_ignore_change_ip f_history_item f_lock_item f_sys_group "
        "f_theme f_small_font f_full_width f_forms_in_tabs f_max_content_length "
        "f_modification f_import_delay f_client_modified f_server_modified f_build_version "
        "f_params_version f_maintenance f_production f_jam_version f_show_not_null id "
        "deleted f_upload_file_ext f_upgraded_to"),
    "sys_privileges": (
        "item_id owner_item f_can_view f_can_create f_can_edit f_can_delete id deleted "
        "owner_id owner_rec_id"),
    "sys_field_privileges": (
        "id deleted item owner_rec_id field f_prohibited f_read_only owner_id"),
    "sys_lookup_lists": "f_name f_lookup_values_text id deleted",
}

EXPORT_FIELDS = {
    LAYOUT_54: {table: tuple(names.split()) for table, names in _EXPORT_FIELDS_54.items()},
    LAYOUT_70: {table: tuple(names.split()) for table, names in _EXPORT_FIELDS_70.items()},
}

# The metadata items, in the order Jam.py exports and imports them.
METADATA_TABLES = {
    LAYOUT_54: ("sys_items", "sys_fields", "sys_indices", "sys_filters", "sys_report_params",
                "sys_roles", "sys_params", "sys_privileges", "sys_lookup_lists"),
    LAYOUT_70: ("sys_items", "sys_fields", "sys_indices", "sys_filters", "sys_report_params",
                "sys_roles", "sys_params", "sys_privileges", "sys_field_privileges",
                "sys_lookup_lists"),
}

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
