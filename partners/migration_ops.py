"""Migration operations for PostgreSQL: SQL that runs only there (trigram indexes: SQLite has
none), and indexes built without blocking writes to a big table."""

from django.db import migrations


class PostgresOnlySQL(migrations.RunSQL):
    """RunSQL that is a no-op on any database but PostgreSQL; it changes no model state."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class AddIndexConcurrently(migrations.AddIndex):
    """AddIndex that, on PostgreSQL, builds the index with CREATE INDEX CONCURRENTLY, so the
    table stays writable meanwhile (the migration must say `atomic = False`); a plain
    AddIndex elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index, **_concurrently(schema_editor))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, **_concurrently(schema_editor))


def _concurrently(schema_editor) -> dict:
    return {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}


class AddUniqueConstraintConcurrently(migrations.AddConstraint):
    """AddConstraint for a conditional or expression UniqueConstraint (a unique index) that, on
    PostgreSQL, builds the index with CREATE UNIQUE INDEX CONCURRENTLY (the migration must say
    `atomic = False`); a plain AddConstraint elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            sql = str(self.constraint.create_sql(model, schema_editor))
            assert sql.startswith("CREATE UNIQUE INDEX "), sql  # conditional or on an expression
            schema_editor.execute(
                sql.replace("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX CONCURRENTLY ", 1)
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            name = schema_editor.quote_name(self.constraint.name)
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class DropUniqueKeepIndexes(migrations.AlterField):
    """AlterField from `unique=True` to `db_index=True` that, on PostgreSQL, only drops the
    column's unique constraint: its `_like` index (prefix searches) stays, and no plain index
    is built on a big table while it is locked (the equality lookups keep the `_like` index and
    the partial unique indexes that replace the constraint). A plain AlterField elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        column = model._meta.get_field(self.name).column
        names = schema_editor._constraint_names(model, [column], unique=True, primary_key=False)
        # The model's own (partial) unique indexes on the column are the replacements: kept.
        kept = {constraint.name for constraint in model._meta.constraints}
        for name in sorted(set(names) - kept):
            schema_editor.execute(schema_editor._delete_unique_sql(model, name))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        raise migrations.exceptions.IrreversibleError(
            "Sandbox rows share tax codes with real ones: the unique constraint cannot return."
        )


class RemoveIndexConcurrently(migrations.RemoveIndex):
    """RemoveIndex that, on PostgreSQL, drops the index with DROP INDEX CONCURRENTLY (no lock
    that waits for the table's readers and writers; the migration must say `atomic = False`);
    a plain RemoveIndex elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = from_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
            schema_editor.remove_index(model, index, **_concurrently(schema_editor))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = to_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
            schema_editor.add_index(model, index, **_concurrently(schema_editor))
