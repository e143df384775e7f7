import Synchronization

/// A bounded hand-off of COPY chunks from the task that parses the file to the task that sends them, so that
/// parsing the next rows overlaps with the server storing the last ones. At most `capacity` chunks wait (memory
/// stays flat); a full pipe makes the parser wait, an empty one the sender.
///
/// Either side ends it: `finish()` after the last chunk, `fail(_:)` with an error, which wakes the other side with it.
final class ChunkPipe: Sendable {
    private struct State {
        var chunks: [[UInt8]] = []
        var finished = false
        var failure: (any Error)?
        var waitingSender: CheckedContinuation<Void, any Error>?
        var waitingReceiver: CheckedContinuation<[UInt8]?, any Error>?
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 4) {
        self.capacity = capacity
    }

    /// Adds a chunk, waiting while the pipe is full. Throws the other side's failure.
    func send(_ chunk: [UInt8]) async throws {
        while true {
            let (accepted, receiver): (Result<Bool, any Error>, CheckedContinuation<[UInt8]?, any Error>?) = state.withLock { state in
                if let failure = state.failure { return (.failure(failure), nil) }
                guard state.chunks.count < capacity else { return (.success(false), nil) }
                if let receiver = state.waitingReceiver {
                    state.waitingReceiver = nil
                    return (.success(true), receiver)
                }
                state.chunks.append(chunk)
                return (.success(true), nil)
            }
            receiver?.resume(returning: chunk)
            if try accepted.get() { return }
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Result<Void, any Error>? = state.withLock { state in
                    if let failure = state.failure { return .failure(failure) }
                    if state.chunks.count < capacity { return .success(()) }
                    state.waitingSender = continuation
                    return nil
                }
                if let resumeNow { continuation.resume(with: resumeNow) }
            }
        }
    }

    /// The next chunk, waiting while the pipe is empty; nil after `finish()` once every chunk is taken.
    func next() async throws -> [UInt8]? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
            let (immediate, sender): (Result<[UInt8]?, any Error>?, CheckedContinuation<Void, any Error>?) = state.withLock { state in
                if let failure = state.failure { return (.failure(failure), nil) }
                if !state.chunks.isEmpty {
                    let chunk = state.chunks.removeFirst()
                    let sender = state.waitingSender
                    state.waitingSender = nil
                    return (.success(chunk), sender)
                }
                if state.finished { return (.success(nil), nil) }
                state.waitingReceiver = continuation
                return (nil, nil)
            }
            sender?.resume()
            if let immediate { continuation.resume(with: immediate) }
        }
    }

    /// No more chunks will be sent.
    func finish() {
        let receiver: CheckedContinuation<[UInt8]?, any Error>? = state.withLock { state in
            state.finished = true
            guard state.chunks.isEmpty else { return nil }
            defer { state.waitingReceiver = nil }
            return state.waitingReceiver
        }
        receiver?.resume(returning: nil)
    }

    /// Ends the pipe with `error`: both sides' waits and later calls throw it.
    func fail(_ error: any Error) {
        let (sender, receiver) = state.withLock { state in
            if state.failure == nil { state.failure = error }
            defer {
                state.waitingSender = nil
                state.waitingReceiver = nil
            }
            return (state.waitingSender, state.waitingReceiver)
        }
        sender?.resume(throwing: error)
        receiver?.resume(throwing: error)
    }
}
