// Fixed-width text tables of an accuracy matrix, for logs and for a demo comparing two methods side by side.
import Foundation
import SetaMetrics

/// A score with one decimal ("n/a" for nil; never "-0.0").
func formatScore(_ x: Double?) -> String {
    guard let x else { return "n/a" }
    if x.isNaN { return "–" }   // a matrix cell not measured (`--eval-tasks seen`)
    let s = String(format: "%.1f", x)
    return s == "-0.0" ? "0.0" : s
}

/// A task name cut to at most `limit` characters (a cut name ends in "~").
func shortName(_ name: String, limit: Int = 10) -> String {
    name.count <= limit ? name : String(name.prefix(limit - 1)) + "~"
}

private func padLeft(_ s: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - s.count)) + s
}

private func padRight(_ s: String, _ width: Int) -> String {
    s + String(repeating: " ", count: max(0, width - s.count))
}

/// The matrix as a table: a title line, a header of task names (cut to ≤ 10 characters), the zero-shot row when
/// present, one row per training stage ("after task k: name", or "multi-task" for a one-row matrix), one decimal,
/// then `AA … BWT … FWT … FGT …`. Missing task names read "task j".
///
///     SeqLoRA
///                          dbpedia  amazon   yahoo
///     zero-shot                5.0    15.0    25.0
///     after task 1: dbpedia   80.0    10.0    20.0
///     …
///     AA 71.7  BWT -25.0  FWT 0.0  FGT 25.0
public func renderMatrix(_ m: AccuracyMatrix, tasks: [String], title: String) -> String {
    let t = m.taskCount
    let names = (0..<t).map { shortName($0 < tasks.count ? tasks[$0] : "task \($0 + 1)") }
    var body: [(label: String, scores: [Double])] = []
    if let b = m.zeroShot { body.append(("zero-shot", b)) }
    if m.isMultiTask {
        body.append(("multi-task", m.rows[0]))
    } else {
        for (i, row) in m.rows.enumerated() { body.append(("after task \(i + 1): \(names[i])", row)) }
    }
    let labelWidth = body.map(\.label.count).max() ?? 0
    let columnWidth = max(5, names.map(\.count).max() ?? 0)
    func line(_ label: String, _ cells: [String]) -> String {
        padRight(label, labelWidth) + cells.map { "  " + padLeft($0, columnWidth) }.joined()
    }
    var lines = [title, line("", names)]
    lines += body.map { line($0.label, $0.scores.map { formatScore($0) }) }
    let metrics = m.metrics
    lines.append("AA \(formatScore(metrics.aa))  BWT \(formatScore(metrics.bwt))  "
                 + "FWT \(formatScore(metrics.fwt))  FGT \(formatScore(metrics.forgetting))")
    return lines.joined(separator: "\n")
}

/// Two text blocks next to each other, the left one padded to its widest line, separated by `gap` spaces; the
/// shorter block is continued with blank lines.
public func renderSideBySide(_ a: String, _ b: String, gap: Int = 4) -> String {
    let left = a.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let right = b.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let width = left.map(\.count).max() ?? 0
    return (0..<max(left.count, right.count)).map { i -> String in
        let l = i < left.count ? left[i] : ""
        let r = i < right.count ? right[i] : ""
        return r.isEmpty ? l : padRight(l, width + gap) + r
    }.joined(separator: "\n")
}
