// The comparison table as text (aligned, for a terminal), Markdown (BENCHMARKS.md), CSV and JSON.
import Foundation
import SetaMetrics

/// A cell: the mean, " ± sd" when there are several runs, "n/a" when no run has the value.
func formatStatistic(_ s: Statistic?, _ format: (Double) -> String) -> String {
    guard let s else { return "n/a" }
    return s.sd.map { "\(format(s.mean)) ± \(format($0))" } ?? format(s.mean)
}

/// 2_525_472 → "2.53M", 460_800 → "461K", 950 → "950".
func formatCount(_ x: Double) -> String {
    let a = abs(x)
    if a >= 1e6 { return String(format: "%.2fM", x / 1e6) }
    if a >= 1e4 { return String(format: "%.0fK", x / 1e3) }
    if a >= 1e3 { return String(format: "%.1fK", x / 1e3) }
    return String(format: "%.0f", x)
}

/// Seconds in the unit of `reference` (the mean), so "41.2 ± 0.5 min" reads in one unit.
func formatSeconds(_ x: Double, reference: Double) -> String {
    if reference < 120 { return String(format: "%.0f s", x) }
    if reference < 7200 { return String(format: "%.1f min", x / 60) }
    return String(format: "%.2f h", x / 3600)
}

/// `text` broken at spaces into lines of at most `width` characters (a longer word stands alone).
func wrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = [], line = ""
    for word in text.split(separator: " ") {
        if !line.isEmpty && line.count + 1 + word.count > width {
            lines.append(line)
            line = ""
        }
        line += (line.isEmpty ? "" : " ") + word
    }
    return line.isEmpty ? lines : lines + [line]
}

extension ReportGroup {
    /// The cells of one table row after the benchmark / method / model columns.
    var cells: [String] {
        let wall: String = wallSeconds.map { s in
            let f = { formatSeconds($0, reference: s.mean) }
            return s.sd.map { "\(f(s.mean)) ± \(f($0))" } ?? f(s.mean)
        } ?? "n/a"
        return [
            seeds.map(String.init).joined(separator: ", "),
            formatStatistic(aa, { formatScore($0) }),
            formatStatistic(bwt, { formatScore($0) }),
            formatStatistic(fwt, { formatScore($0) }),
            formatStatistic(forgetting, { formatScore($0) }),
            formatStatistic(storedParameters, formatCount),
            formatStatistic(parameterRatio, { String(format: "%.0f%%", 100 * $0) }),
            formatStatistic(routingAccuracy, { formatScore($0) }),
            wall,
        ]
    }
}

extension ComparisonReport {
    static let metricHeaders = ["seeds", "AA", "BWT", "FWT", "FGT", "stored params", "vs independent", "routing",
                                "wall time"]

    private var headers: [String] { ["benchmark", "method"] + (hasSeveralModels ? ["model"] : []) + Self.metricHeaders }

    private func rows(blankRepeatedBenchmark: Bool) -> [[String]] {
        var previous: String?
        return groups.map { g in
            let bench = blankRepeatedBenchmark && g.benchmark == previous ? "" : g.benchmark
            previous = g.benchmark
            return [bench, g.method] + (hasSeveralModels ? [g.model] : []) + g.cells
        }
    }

    /// What the numbers are, under the table.
    var notes: [String] {
        let many = groups.contains { $0.runs.count > 1 }
        return [
            (many ? "Mean ± sample sd (n − 1) over the runs (seeds) of each method; " : "")
                + "AA, BWT, FWT, FGT (forgetting) and routing accuracy in points (0–100), as defined in SETA.md; "
                + "stored params after the last task, and their share of independent experts (one LoRA per task); "
                + "wall time = the sum of timings.json.",
        ]
    }

    /// Task streams of benchmarks, in report order ("cl:order1: dbpedia → amazon → yelp → agnews").
    var streams: [String] {
        benchmarks.map { b in "\(b.name): " + b.groups[0].tasks.joined(separator: " → ") }
    }

    /// An aligned plain-text table (numbers right-aligned), the notes and the task streams.
    public func text() -> String {
        let table = [headers] + rows(blankRepeatedBenchmark: true)
        let widths = headers.indices.map { c in table.map { $0[c].count }.max()! }
        let left = hasSeveralModels ? 3 : 2
        func line(_ row: [String]) -> String {
            row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return c < left ? cell + pad : pad + cell
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var lines = [line(table[0]), String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))]
        lines += table.dropFirst().map(line)
        lines += [""] + notes.flatMap { wrap($0, width: 110) } + ["Task streams:"]
            + streams.flatMap { wrap($0, width: 106).enumerated().map { ($0 == 0 ? "  " : "      ") + $1 } }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A GitHub Markdown table (numbers right-aligned), the notes and the task streams.
    public func markdown() -> String {
        func escape(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        let left = hasSeveralModels ? 3 : 2
        var lines = ["| " + headers.map(escape).joined(separator: " | ") + " |",
                     "|" + headers.indices.map { $0 < left ? "---|" : "---:|" }.joined()]
        lines += rows(blankRepeatedBenchmark: false).map { "| " + $0.map(escape).joined(separator: " | ") + " |" }
        lines += [""] + notes + ["", "Task streams:", ""] + streams.map { "- " + escape($0) }
        lines += ["", "Commands (the exact options of each run are in the config.yaml beside its results.json; "
                  + "`seta train --config FILE --out RUN` runs it again):", ""]
        lines += groups.map { "- \($0.method) on \($0.benchmark): `\($0.command)`" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One CSV line per group (RFC 4180 quoting), plain numbers: `*_mean`, `*_sd` (empty for one run or no value).
    public func csv() -> String {
        let header = ["benchmark", "model", "method", "tasks", "runs", "seeds"]
            + ["aa", "bwt", "fwt", "forgetting", "stored_params", "params_ratio", "routing_accuracy", "wall_seconds"]
                .flatMap { [$0 + "_mean", $0 + "_sd"] }
            + ["independent_params"]
        func quote(_ s: String) -> String {
            s.contains { ",\"\n\r".contains($0) } ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        func number(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }
        var lines = [header.joined(separator: ",")]
        for g in groups {
            let stats: [Statistic?] = [g.aa, g.bwt, g.fwt, g.forgetting, g.storedParameters, g.parameterRatio,
                                       g.routingAccuracy, g.wallSeconds]
            var fields: [String] = [g.benchmark, g.model, g.method, g.tasks.joined(separator: ";"), "\(g.runs.count)",
                                    g.seeds.map(String.init).joined(separator: ";")]
            for s in stats { fields += [number(s?.mean), number(s?.sd)] }
            fields.append(g.independentEquivalent?.last.map(String.init) ?? "")
            lines.append(fields.map(quote).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `{"groups": [...]}`: per group its identity, runs, every statistic ({mean, sd, n} or null) and the mean
    /// matrix, zero-shot scores and parameter growth. Pretty-printed, sorted keys, ending in a newline.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(["groups": groups.map(GroupJSON.init)]), as: UTF8.self) + "\n"
    }

    /// Marks the generated part of a Markdown document such as BENCHMARKS.md.
    public static let sectionBegin = "<!-- seta report: begin (generated by `seta report --update`; "
        + "edits here are overwritten) -->"
    public static let sectionEnd = "<!-- seta report: end -->"

    /// `document` with the text between the report markers replaced by `section` (markers appended at the end
    /// when the document has none).
    public static func replacingSection(in document: String, with section: String) -> String {
        let block = sectionBegin + "\n" + section + (section.hasSuffix("\n") ? "" : "\n") + sectionEnd
        let beginPrefix = "<!-- seta report: begin"
        if let begin = document.range(of: beginPrefix),
           let end = document.range(of: sectionEnd, range: begin.upperBound..<document.endIndex) {
            return document.replacingCharacters(in: begin.lowerBound..<end.upperBound, with: block)
        }
        let base = document.isEmpty || document.hasSuffix("\n\n") ? document
            : document.hasSuffix("\n") ? document + "\n" : document + "\n\n"
        return base + block + "\n"
    }
}

private struct GroupJSON: Encodable {
    let g: ReportGroup

    private enum Keys: String, CodingKey {
        case benchmark, model, method, tasks, seeds, files, runs, aa, bwt, fwt, forgetting
        case storedParameters = "stored_parameters", parameterRatio = "parameter_ratio"
        case routingAccuracy = "routing_accuracy", wallSeconds = "wall_seconds", meanMatrix = "mean_matrix"
        case meanZeroShot = "mean_zero_shot", meanStoredAfterTask = "mean_stored_after_task"
        case independentEquivalent = "independent_equivalent"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(g.benchmark, forKey: .benchmark)
        try c.encode(g.model, forKey: .model)
        try c.encode(g.method, forKey: .method)
        try c.encode(g.tasks, forKey: .tasks)
        try c.encode(g.seeds, forKey: .seeds)
        try c.encode(g.runs.map(\.file), forKey: .files)
        try c.encode(g.runs.count, forKey: .runs)
        try c.encodeOrNull(g.aa, forKey: .aa)
        try c.encodeOrNull(g.bwt, forKey: .bwt)
        try c.encodeOrNull(g.fwt, forKey: .fwt)
        try c.encodeOrNull(g.forgetting, forKey: .forgetting)
        try c.encodeOrNull(g.storedParameters, forKey: .storedParameters)
        try c.encodeOrNull(g.parameterRatio, forKey: .parameterRatio)
        try c.encodeOrNull(g.routingAccuracy, forKey: .routingAccuracy)
        try c.encodeOrNull(g.wallSeconds, forKey: .wallSeconds)
        try c.encode(unmeasuredAsNull(g.meanMatrix), forKey: .meanMatrix)
        try c.encodeOrNull(g.meanZeroShot, forKey: .meanZeroShot)
        try c.encodeOrNull(g.meanStoredAfterTask, forKey: .meanStoredAfterTask)
        try c.encodeOrNull(g.independentEquivalent, forKey: .independentEquivalent)
    }
}

extension ReportGroup {
    /// The `seta train` line that runs this group again: method, benchmark (or tasks), sizes, learning rate and seeds
    /// from the first run's recorded configuration; method options that differ from the defaults are in config.yaml.
    public var command: String {
        var parts = ["seta train --method \(method)"]
        parts.append(benchmark.hasPrefix("tasks ") ? "--data DIR --tasks \(tasks.joined(separator: ","))"
                                                   : "--benchmark \(benchmark)")
        let first = runs.first?.results   // `model` carries a " (bf16 weights)" label; the flags come from the run
        let weights = first?.recordedWeights
        if let spec = first?.model, spec != "default" { parts.append("--model \(spec)") }
        if let weights { parts.append("--weights \(weights)") }
        if case let .object(training)? = runs.first?.results.config["training"] {
            for (key, flag) in [("train_per_task", "--train-per-task"), ("test_per_task", "--test-per-task"),
                                ("epochs", "--epochs"), ("learning_rate", "--lr")] {
                if case let .number(x)? = training[key] {
                    parts.append("\(flag) \(x == x.rounded() && abs(x) >= 1 ? String(Int(x)) : String(x))")
                }
            }
            if case let .string(evaluated)? = training["evaluated_tasks"], evaluated != "all" {
                parts.append("--eval-tasks \(evaluated)")
            }
        }
        if case let .string(initMode)? = runs.first?.results.config["unique_init"], initMode != "zero" {
            parts.append("--unique-init \(initMode)")
        }
        let seeds = self.seeds.map(String.init).joined(separator: ",")
        parts.append(runs.count > 1 ? "--seeds \(seeds)" : "--seed \(seeds)")
        let slug = String(benchmark.map { $0.isLetter || $0.isNumber ? $0 : "-" }).split(separator: "-")
            .joined(separator: "-")
        parts.append("--out runs/\(slug)\(weights.map { "-" + $0 } ?? "")/\(method)")
        return parts.joined(separator: " ")
    }
}
