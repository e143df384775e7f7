import Postgres

// The two names from `Postgres` the web layer may use, re-exposed here so that `Web` need not import `Postgres` (and
// so cannot name a connection, a query, a row or a database error). See docs/architecture.md, section 1.

/// The connection pool, as the web layer holds it in `AppDependencies` and hands it to stores.
public typealias PostgresClient = Postgres.PostgresClient

/// A calendar date without a time zone (a PostgreSQL `date`), as the pages parse and show it.
public typealias LocalDate = Postgres.LocalDate
