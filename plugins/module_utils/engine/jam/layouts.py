"""What differs between Jam.py versions in a project's admin.sqlite and in task.dat.

Each supported version is one ``Layout``; the database-specific differences between
versions (column types, key generation) are the dialects' (``db.dialects``). A new Jam.py
version is one more ``Layout`` here, recognised by ``detect``. Releases of one layout can
still add admin fields (7.0.120 has three SYS_PARAMS fields 7.0.60 lacks): ``export_fields``
takes them from the installed Jam.py.
"""
from dataclasses import dataclass, field

from . import installed

LAYOUT_54 = "5.4"
LAYOUT_70 = "7.0"

# Fields of each admin item in the order Jam.py's Export writes them (task.dat "fields"):
# 5.4.136's (5.5.4's are the same) and 7.0.120's; used when no Jam.py of the layout is
# installed (see export_fields).
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
        "deleted f_upload_file_ext f_upgraded_to f_show_select_sql f_ace_theme "
        "f_modern_input_btns"),
    "sys_privileges": (
        "item_id owner_item f_can_view f_can_create f_can_edit f_can_delete id deleted "
        "owner_id owner_rec_id"),
    "sys_field_privileges": (
        "id deleted item owner_rec_id field f_prohibited f_read_only owner_id"),
    "sys_lookup_lists": "f_name f_lookup_values_text id deleted",
}


def _fields(table):
    return {name: tuple(names.split()) for name, names in table.items()}


# SYS_TASKS columns 7.0 adds to the connection (the driver choice and a DSN).
TASK_COLUMNS_70 = {"python_library": "F_PYTHON_LIBRARY", "dsn": "F_DSN"}


@dataclass(frozen=True)
class Layout:
    """One Jam.py version's layout of the metadata."""

    name: str
    # The metadata items, in the order Jam.py exports and imports them.
    metadata_tables: tuple
    # Fields of each admin item in the order Jam.py's Export writes them, when no Jam.py of
    # this layout is installed (see export_fields).
    export_fields: dict
    # 5.4: an item's table has the common fields (ID, DELETED, ...) of its group too.
    group_fields: bool = False
    # 7.0: calculated fields (F_CALC_ITEM) and copies of items (F_COPY_OF) have no columns
    # or tables of their own.
    calculated_fields: bool = False
    item_copies: bool = False
    # 7.0: columns get the DEFAULT of their field's F_DEFAULT_VALUE (5.4 never writes one).
    column_defaults: bool = False
    # 7.0: production mode is this file in the project folder, with Jam.py's text (the
    # name a Jam.py of the layout checks comes first, see production_file).
    production_file: str = None
    production_text: str = None
    # The page whose __$_key_$__ labels the Builder translates into a new project's language.
    labelled_page: str = "index.html"
    # Extra SYS_TASKS columns of the connection: {connection key: column}.
    task_columns: dict = field(default_factory=dict)
    # The F_GEN_NAME Jam.py's import gives a new item on a database with generators.
    generator_name: str = "{f_table_name}_SEQ"

    def new_generator(self, item):
        """The generator name of a new item (None: it gets none)."""
        if self.item_copies and item.get("f_copy_of"):
            return None
        return self.generator_name.format_map(item)


LAYOUTS = {
    LAYOUT_54: Layout(
        LAYOUT_54,
        ("sys_items", "sys_fields", "sys_indices", "sys_filters", "sys_report_params",
         "sys_roles", "sys_params", "sys_privileges", "sys_lookup_lists"),
        _fields(_EXPORT_FIELDS_54), group_fields=True),
    LAYOUT_70: Layout(
        LAYOUT_70,
        ("sys_items", "sys_fields", "sys_indices", "sys_filters", "sys_report_params",
         "sys_roles", "sys_params", "sys_privileges", "sys_field_privileges",
         "sys_lookup_lists"),
        _fields(_EXPORT_FIELDS_70), calculated_fields=True, item_copies=True,
        column_defaults=True,
        production_file="builder.html", production_text="Application Builder production mode",
        labelled_page="templates.html", task_columns=TASK_COLUMNS_70, generator_name="{f_primary_key}_{f_table_name}_SEQ"),
}


def detect(tables, item_fields):
    """The layout of metadata with the admin ``tables`` whose SYS_ITEMS has ``item_fields``
    (names in any case): SYS_FIELD_PRIVILEGES or SYS_ITEMS.F_COPY_OF mark 7.0."""
    if "SYS_FIELD_PRIVILEGES" in {t.upper() for t in tables} or \
            "F_COPY_OF" in {f.upper() for f in item_fields if isinstance(f, str)}:
        return LAYOUT_70
    return LAYOUT_54


def export_fields(layout_name, jam=installed.THIS_PYTHON):
    """{metadata item: fields in the order Jam.py's Export writes them} for metadata of the
    layout ``layout_name``, which is also what Jam.py's import reads.

    They come from the admin structure of ``jam`` (an ``installed.InstalledJam``, None for
    none; by default the Jam.py this Python would import) when it is of this layout,
    so that fields a later release adds are exported and read; otherwise, and for an item
    it lacks, from the layout's table.
    """
    table = LAYOUTS[layout_name].export_fields
    jam = installed.resolve(jam)
    if installed_layout(jam) != layout_name:
        return table
    structure = jam.admin_fields()
    return {name: structure.get(name, fields) for name, fields in table.items()}


def production_file(layout_name, jam=installed.THIS_PYTHON):
    """The name of the file whose presence in the project folder is production mode for
    metadata of the layout ``layout_name`` (None: production is SYS_PARAMS.F_PRODUCTION).

    The name ``jam`` (an ``installed.InstalledJam``; by default the Jam.py this Python
    would import) checks when it is of this layout - ``jam-secure-project.py`` renames the
    file - otherwise the layout's ``builder.html``."""
    default = LAYOUTS[layout_name].production_file
    jam = installed.resolve(jam)
    if default and installed_layout(jam) == layout_name:
        return jam.production_file() or default
    return default


def installed_layout(jam):
    """The layout of an installed Jam.py's admin structure (``jam``: an
    ``installed.InstalledJam``), None for none or one without a readable structure."""
    structure = jam.admin_fields() if jam else {}
    if not structure:
        return None
    return detect(structure, structure.get("sys_items", ()))
