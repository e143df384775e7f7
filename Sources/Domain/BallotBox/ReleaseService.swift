import Foundation
import Logging
import Postgres
import ServiceLifecycle

/// Runs the ballot box's release every `RELEASE_INTERVAL_SECONDS` until graceful shutdown. Several instances may run
/// it at once: each group is released by whichever takes its lock first.
package struct ReleaseService: Service {
    let ballotBox: BallotBox
    let now: @Sendable () -> Date
    let interval: Duration
    let logger: Logger
    /// Called with every finished run's outcome (the metrics counters).
    let onOutcome: @Sendable (BallotBox.ReleaseOutcome) -> Void

    package init(
        ballotBox: BallotBox,
        now: @escaping @Sendable () -> Date,
        interval: Duration,
        logger: Logger,
        onOutcome: @escaping @Sendable (BallotBox.ReleaseOutcome) -> Void
    ) {
        self.ballotBox = ballotBox
        self.now = now
        self.interval = interval
        self.logger = logger
        self.onOutcome = onOutcome
    }

    package func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                onOutcome(try await ballotBox.release(today: LocalDate(now(), timeZone: TimeZone.london), logger: logger))
            } catch {
                logger.warning("release of victim responses failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
