import Synchronization

/// Counts the requests being handled and refuses one more than the limit.
///
/// Without a limit every request beyond what the database pool can serve waits in the pool's queue: under overload
/// the queue, memory and latency grow until requests time out. With it, the excess is answered at once with 503 and
/// `Retry-After`, so the requests that are admitted keep their latency and the process keeps its size.
///
/// The limit is fixed when the operator sets `MAX_CONCURRENT_REQUESTS`. By default it adapts, every quarter second,
/// to the second before: while admitted requests took `target` or less on average it grows by a quarter (up to
/// `ceiling`, four per pooled connection); when they took longer, requests were queueing, and it falls to what the
/// service completes in `target` at that second's rate (Little's law: a queue that long drains in `target`), never
/// below `floor` (one per pooled connection, so a few slow report pages are never shed). On a fast machine the ceiling
/// is the limit; on a slow or starved one (a shared CI host, a noisy neighbour) the limit falls with the throughput,
/// so an admitted request still takes about `target`, not `ceiling` ÷ throughput.
package final class ConcurrencyLimit: Sendable {
    /// The most requests ever admitted at once.
    let ceiling: Int
    /// The fewest the adaptive limit falls to (equal to `ceiling` when the limit is fixed).
    let floor: Int
    /// The mean time of an admitted request the adaptive limit aims at; nil when the limit is fixed.
    let target: Duration?
    private let admitted: Atomic<Int>
    private let inFlight = Atomic<Int>(0)
    private let shedCount = Atomic<Int>(0)
    /// The last second's completions and their times, by quarter second (what the adaptive limit follows).
    private let window = Mutex(Window())
    /// The second (since the process started) of the last "shedding" log line: at most one a second, not one per
    /// refused request, so logging does not add to the overload.
    private let lastLogged = Atomic<Int>(-1)
    private let started = ContinuousClock.now

    /// Completions and their summed times per quarter second: the current one and the four before it.
    struct Window {
        static let buckets = 5
        static let bucket = Duration.milliseconds(250)
        var epoch = 0
        var counts = [Int](repeating: 0, count: Window.buckets)
        var times = [Duration](repeating: .zero, count: Window.buckets)

        /// Moves to quarter second `epoch`, forgetting the ones that fell out of the window; true if it moved.
        mutating func advance(to epoch: Int) -> Bool {
            guard epoch > self.epoch else { return false }
            for skipped in (self.epoch + 1)...min(epoch, self.epoch + Window.buckets) {
                counts[skipped % Window.buckets] = 0
                times[skipped % Window.buckets] = .zero
            }
            self.epoch = epoch
            return true
        }

        /// Requests completed in the second before the current quarter second, and their summed times.
        var lastSecond: (count: Int, time: Duration) {
            let current = epoch % Window.buckets
            return (counts.reduce(0, +) - counts[current], times.reduce(.zero, +) - times[current])
        }
    }

    /// A fixed limit: `MAX_CONCURRENT_REQUESTS`.
    init(limit: Int) {
        precondition(limit > 0, "the concurrency limit must be at least 1")
        ceiling = limit
        floor = limit
        target = nil
        admitted = Atomic(limit)
    }

    /// An adaptive limit between `floor` and `ceiling` aiming at `target` per admitted request.
    init(floor: Int, ceiling: Int, target: Duration) {
        precondition(floor > 0 && floor <= ceiling, "the concurrency limit's floor must be at least 1 and at most its ceiling")
        self.ceiling = ceiling
        self.floor = floor
        self.target = target
        admitted = Atomic(ceiling)
    }

    /// The requests admitted at once now: the fixed limit, or the adaptive one.
    package var limit: Int { admitted.load(ordering: .relaxed) }

    /// Takes a place if one is free; the caller must `leave(entered:)` after a true answer.
    package func enter() -> Bool {
        let now = inFlight.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue
        if now <= limit { return true }
        inFlight.wrappingSubtract(1, ordering: .acquiringAndReleasing)
        shedCount.wrappingAdd(1, ordering: .relaxed)
        return false
    }

    /// Gives the place back, for a request admitted at `entered`.
    package func leave(entered: ContinuousClock.Instant) {
        inFlight.wrappingSubtract(1, ordering: .acquiringAndReleasing)
        let now = ContinuousClock.now
        completed(at: now - started, took: now - entered)
    }

    /// Counts one request that ended `elapsed` after the limit was made and took `took`; at each new quarter second
    /// (once a whole second has been seen) sets the adaptive limit from the second before.
    func completed(at elapsed: Duration, took: Duration) {
        guard let target else { return }
        let epoch = Int(elapsed / Window.bucket)
        let last: (count: Int, time: Duration)? = window.withLock { window in
            let moved = window.advance(to: epoch)
            window.counts[window.epoch % Window.buckets] += 1
            window.times[window.epoch % Window.buckets] += took
            // Nothing is decided before a whole second has been seen (the first quarter seconds would read as slow).
            return moved && epoch >= Window.buckets - 1 ? window.lastSecond : nil
        }
        guard let last else { return }
        let current = limit
        let next: Int
        if last.count > 0, last.time / last.count > target {
            next = Int(Double(last.count) * (target / .seconds(1)))
        } else {
            next = current + max(1, current / 4)
        }
        admitted.store(max(floor, min(ceiling, next)), ordering: .relaxed)
    }

    /// The whole seconds since this limit was made, for `shouldLog(second:)`.
    package var second: Int { Int((ContinuousClock.now - started).components.seconds) }

    /// True once for each `second`: whether the caller should log that requests are being shed.
    package func shouldLog(second: Int) -> Bool {
        let last = lastLogged.load(ordering: .relaxed)
        return last != second && lastLogged.compareExchange(expected: last, desired: second, ordering: .relaxed).exchanged
    }

    /// Requests being handled now.
    var current: Int { inFlight.load(ordering: .relaxed) }
    /// Requests refused since the process started (a hook for the metrics work).
    package var shed: Int { shedCount.load(ordering: .relaxed) }
}
