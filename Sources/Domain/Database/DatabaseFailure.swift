import Postgres

/// Classifies errors that mean "the database is not reachable right now" (a restart, the pool exhausted).
package enum ServiceUnavailable {
    package static func isTransient(_ error: any Error) -> Bool {
        guard let error = error as? PostgresError else { return false }
        return error.isConnectionFailure || error.kind == .poolTimeout || error.kind == .poolClosed
    }
}

/// Classifies the constraint violations (SQLSTATE class 23) a page answers with a field error, so that the web layer
/// need not see `PostgresError`.
package enum ConstraintViolation {
    /// A foreign key refused the write (23503).
    package static func isForeignKey(_ error: any Error) -> Bool {
        (error as? PostgresError)?.code == .foreignKeyViolation
    }

    /// The CHECK constraint `constraint` refused the write (23514).
    package static func isCheck(_ error: any Error, constraint: String) -> Bool {
        guard let error = error as? PostgresError else { return false }
        return error.code == .checkViolation && error.constraint == constraint
    }
}
