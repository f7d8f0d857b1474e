// How `seta train` and `seta demo` show progress on stderr (the trainer reports it as values).
import Foundation
import SetaContinual

/// Renders training progress: a live line on a terminal, plain periodic lines otherwise.
final class ProgressPrinter {
    let interactive = isatty(STDERR_FILENO) != 0
    var lastPlain = Date.distantPast, taskStart = Date()
    var taskCount = 0
    let prefix: String
    init(prefix: String) { self.prefix = prefix }

    func callAsFunction(_ p: TrainingProgress) {
        switch p {
        case let .zeroShot(task, count):
            line("zero-shot evaluation \(task + 1)/\(count)", final: false)
        case let .taskStarted(task, count, name, steps):
            taskCount = count
            line("task \(task + 1)/\(count) \(name): \(steps) steps", final: true)
        case let .step(task, step, count, loss, tps):
            if step == 1 { taskStart = Date() }
            let perStep = Date().timeIntervalSince(taskStart) / Double(max(step - 1, 1))
            let eta = step > 1 ? ", task ETA " + formatClock(perStep * Double(count - step)) : ""
            line(String(format: "task %d/%d step %d/%d loss %.4f %.0f tokens/s",
                        task + 1, taskCount, step, count, loss, tps) + eta,
                 final: false, throttle: step != count)
        case let .evaluating(after, task, done, count):
            line("after task \(after + 1): evaluating task \(task + 1) \(done)/\(count)", final: false)
        case let .taskFinished(task, scores):
            line("after task \(task + 1): "
                    + scores.map { $0.isNaN ? "–" : String(format: "%.1f", $0) }.joined(separator: " "),
                 final: true)
        }
    }

    private func line(_ text: String, final: Bool, throttle: Bool = true) {
        if interactive {
            FileHandle.standardError.write(("\r\u{1B}[K" + prefix + text + (final ? "\n" : "")).data(using: .utf8)!)
        } else if final || !throttle || Date().timeIntervalSince(lastPlain) > 10 {
            lastPlain = Date()
            standardError(prefix + text)
        }
    }
}

/// 75 s → "1:15", 3725 s → "1:02:05".
func formatClock(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600
        ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String(format: "%d:%02d", s / 60, s % 60)
}
