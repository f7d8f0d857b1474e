// What the CLI adds around a training run: Ctrl-C as a request to stop at the next step (never in the middle
// of a file write), and RUN/log.jsonl, one JSON object per progress event, for scripts.
import Dispatch
import Foundation
import SetaContinual

/// Ctrl-C (SIGINT) and SIGTERM become a flag the trainer polls between steps; a second Ctrl-C exits at once.
enum Interruption {
    nonisolated(unsafe) private static var requested = false
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static var isRequested: Bool { requested }
    /// What the first signal prints (a data-parallel job says why mpirun may have sent it).
    nonisolated(unsafe) static var message = "\nstopping after the current step "
        + "(writes in progress finish; Ctrl-C again to quit now)"

    static func install() {
        guard sources.isEmpty else { return }
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if requested { exit(130) }
                requested = true
                standardError(message)
            }
            source.resume()
            sources.append(source)
        }
    }
}

/// Appends one JSON line per progress event to RUN/log.jsonl.
final class RunLog {
    private let handle: FileHandle?
    private let started = Date()

    init(run: URL) {
        let url = run.appendingPathComponent("log.jsonl")
        if !FileManager.default.fileExists(atPath: url.path) {
            FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        handle = try? FileHandle(forWritingTo: url)
        _ = try? handle?.seekToEnd()
    }

    deinit { try? handle?.close() }

    func record(_ event: String, _ fields: [String: Any]) {
        var object = fields
        object["event"] = event
        object["elapsed_s"] = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
        guard let handle, var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            return
        }
        line.append(0x0A)
        try? handle.write(contentsOf: line)
    }

    func record(_ p: TrainingProgress) {
        switch p {
        case let .zeroShot(task, count): record("zero_shot", ["task": task, "tasks": count])
        case let .taskStarted(task, count, name, steps):
            record("task_started", ["task": task, "tasks": count, "name": name, "steps": steps])
        case let .step(task, step, count, loss, tps):
            record("step", ["task": task, "step": step, "steps": count, "loss": Double(loss),
                            "tokens_per_s": tps.rounded()])
        case let .evaluating(after, task, done, count):
            if done == count { record("evaluated", ["after_task": after, "task": task, "examples": count]) }
        case let .taskFinished(task, scores):   // a task not measured (NaN) is null
            record("task_finished", ["task": task, "scores": scores.map { $0.isNaN ? NSNull() : $0 as Any }])
        }
    }
}
