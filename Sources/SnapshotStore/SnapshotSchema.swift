/// The snapshot file format: header numbers, tables and views.
///
/// docs/SNAPSHOT-FORMAT.md explains every table; this is the one place that defines them.
public enum SnapshotSchema {
    /// `PRAGMA application_id`: the bytes `QCPU` (0x51435055), the file's magic number.
    public static let applicationID: Int32 = 0x5143_5055
    /// `PRAGMA user_version`: the schema version this qcpu writes and reads.
    public static let version = 1
    /// The page size every snapshot is written with.
    public static let pageSize = 4096

    /// Statements that create an empty snapshot.
    public static let statements: [String] = [
        "PRAGMA page_size = \(pageSize)",
        "PRAGMA auto_vacuum = NONE",
        "PRAGMA application_id = \(applicationID)",
        "PRAGMA user_version = \(version)",
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID, STRICT
        """,
        """
        CREATE TABLE binary (
          id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, arch TEXT NOT NULL,
          size INTEGER NOT NULL, sha256 TEXT NOT NULL, accelerators TEXT NOT NULL) STRICT
        """,
        """
        CREATE TABLE host (
          id INTEGER PRIMARY KEY, vendor TEXT NOT NULL, family INTEGER NOT NULL,
          model INTEGER NOT NULL, stepping INTEGER NOT NULL, model_name TEXT NOT NULL,
          microcode TEXT NOT NULL, kernel TEXT NOT NULL) STRICT
        """,
        """
        CREATE TABLE machine (
          id INTEGER PRIMARY KEY, binary_id INTEGER NOT NULL REFERENCES binary(id),
          name TEXT NOT NULL, alias TEXT, is_default INTEGER NOT NULL, deprecated INTEGER NOT NULL,
          default_cpu_type TEXT, info TEXT NOT NULL, UNIQUE (binary_id, name)) STRICT
        """,
        """
        CREATE TABLE model (
          id INTEGER PRIMARY KEY, binary_id INTEGER NOT NULL REFERENCES binary(id),
          name TEXT NOT NULL, typename TEXT, UNIQUE (binary_id, name)) STRICT
        """,
        """
        CREATE TABLE session (
          machine_id INTEGER NOT NULL REFERENCES machine(id), accel TEXT NOT NULL,
          host_id INTEGER REFERENCES host(id), status TEXT NOT NULL, message TEXT,
          unsupported TEXT NOT NULL, PRIMARY KEY (machine_id, accel)) WITHOUT ROWID, STRICT
        """,
        """
        CREATE TABLE cpu_definition (
          machine_id INTEGER NOT NULL, accel TEXT NOT NULL, model_id INTEGER NOT NULL REFERENCES model(id),
          alias_of TEXT, static INTEGER NOT NULL, migration_safe INTEGER, deprecated INTEGER NOT NULL,
          unavailable_id INTEGER REFERENCES feature_list(id),
          PRIMARY KEY (machine_id, accel, model_id),
          FOREIGN KEY (machine_id, accel) REFERENCES session(machine_id, accel)) WITHOUT ROWID, STRICT
        """,
        """
        CREATE TABLE feature_list (id INTEGER PRIMARY KEY, features TEXT NOT NULL UNIQUE) STRICT
        """,
        """
        CREATE TABLE prop (
          id INTEGER PRIMARY KEY, name TEXT NOT NULL, value TEXT NOT NULL, UNIQUE (name, value)) STRICT
        """,
        """
        CREATE TABLE prop_default (
          name TEXT PRIMARY KEY, prop_id INTEGER NOT NULL REFERENCES prop(id)) WITHOUT ROWID, STRICT
        """,
        """
        CREATE TABLE shape (id INTEGER PRIMARY KEY, names TEXT NOT NULL UNIQUE) STRICT
        """,
        """
        CREATE TABLE propset (
          id INTEGER PRIMARY KEY, shape_id INTEGER NOT NULL REFERENCES shape(id),
          overrides TEXT NOT NULL) STRICT
        """,
        """
        CREATE TABLE expansion (
          machine_id INTEGER NOT NULL, accel TEXT NOT NULL, model_id INTEGER NOT NULL REFERENCES model(id),
          type TEXT NOT NULL, variant TEXT NOT NULL, result_model TEXT,
          propset_id INTEGER REFERENCES propset(id), error_class TEXT, error_desc TEXT,
          PRIMARY KEY (machine_id, accel, model_id, type, variant),
          FOREIGN KEY (machine_id, accel) REFERENCES session(machine_id, accel)) WITHOUT ROWID, STRICT
        """,
        """
        CREATE TABLE qom_propset (id INTEGER PRIMARY KEY, properties TEXT NOT NULL UNIQUE) STRICT
        """,
        """
        CREATE TABLE qom_type (
          binary_id INTEGER NOT NULL REFERENCES binary(id), typename TEXT NOT NULL,
          qom_propset_id INTEGER NOT NULL REFERENCES qom_propset(id),
          PRIMARY KEY (binary_id, typename)) WITHOUT ROWID, STRICT
        """,
    ] + views

    /// Views that let plain `sqlite3` answer questions without knowing the encoding.
    public static let views: [String] = [
        """
        CREATE VIEW propset_prop (propset_id, name, value) AS
          SELECT s.id, n.value,
            COALESCE(
              (SELECT p.value FROM json_each(s.overrides) o JOIN prop p ON p.id = o.value
                WHERE p.name = n.value),
              (SELECT p.value FROM prop_default d JOIN prop p ON p.id = d.prop_id
                WHERE d.name = n.value))
          FROM propset s JOIN shape sh ON sh.id = s.shape_id, json_each(sh.names) n
        """,
        """
        CREATE VIEW machine_types (binary, machine, alias, is_default, deprecated, default_cpu_type) AS
          SELECT b.name, m.name, m.alias, m.is_default, m.deprecated, m.default_cpu_type
          FROM machine m JOIN binary b ON b.id = m.binary_id
        """,
        """
        CREATE VIEW cpu_models (binary, machine, accel, model, alias_of, typename, static,
                                migration_safe, deprecated, unavailable_features) AS
          SELECT b.name, m.name, d.accel, mo.name, d.alias_of, mo.typename, d.static,
                 d.migration_safe, d.deprecated, f.features
          FROM cpu_definition d JOIN machine m ON m.id = d.machine_id
          JOIN binary b ON b.id = m.binary_id JOIN model mo ON mo.id = d.model_id
          LEFT JOIN feature_list f ON f.id = d.unavailable_id
        """,
        """
        CREATE VIEW expansions (binary, machine, accel, model, type, variant, result_model,
                                propset_id, error_class, error_desc) AS
          SELECT b.name, m.name, e.accel, mo.name, e.type, e.variant, e.result_model,
                 e.propset_id, e.error_class, e.error_desc
          FROM expansion e JOIN machine m ON m.id = e.machine_id
          JOIN binary b ON b.id = m.binary_id JOIN model mo ON mo.id = e.model_id
        """,
        """
        CREATE VIEW expansion_props (binary, machine, accel, model, type, variant, name, value) AS
          SELECT e.binary, e.machine, e.accel, e.model, e.type, e.variant, pp.name, pp.value
          FROM expansions e JOIN propset_prop pp ON pp.propset_id = e.propset_id
        """,
    ]

    /// The tables a valid snapshot has.
    public static let tables = ["binary", "cpu_definition", "expansion", "feature_list", "host", "machine", "meta", "model",
                                "prop", "prop_default", "propset", "qom_propset", "qom_type", "session", "shape"]
}
