// The comparison of runs: find results.json files, group them by benchmark, model and method, and summarise each
// group as mean ± sample sd over its runs (seeds). Renderers (ReportRender.swift) and plots (Plots.swift) read
// this; nothing here prints.
import Foundation
import SetaMetrics

/// Bad input to a report; every message names the path or file.
public enum ReportError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A path that does not exist.
    case notFound(path: String)
    /// A path that exists but holds no results.json (itself or anywhere below it).
    case noResults(path: String)
    /// A results.json that cannot be read or parsed.
    case results(ResultsFileError)
    /// A results.json whose matrix or parameter counts are inconsistent.
    case invalidRun(file: String, reason: String)
    /// A timings.json that is not an object of seconds.
    case badTimings(file: String, reason: String)
    /// Two runs of the same benchmark, model and method that trained different task streams.
    case inconsistentGroup(group: String, first: String, other: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let path):
            return "\(path): no such file or folder (expected a run folder holding results.json, a results.json "
                + "file, or a folder with run folders below it)"
        case .noResults(let path):
            return "\(path): no results.json found in it or below it (expected a run folder written by `seta train` "
                + "or `seta demo`, a results.json file, or a folder with such run folders below it)"
        case .results(let error):
            return error.description
        case .invalidRun(let file, let reason):
            return "\(file): malformed results: \(reason)"
        case .badTimings(let file, let reason):
            return "\(file): malformed timings: \(reason); expected an object of seconds such as "
                + "{\"train_task_0_seconds\": 12.5}"
        case .inconsistentGroup(let group, let first, let other, let reason):
            return "\(other): cannot be averaged with \(first) (both \(group)): \(reason); give them different "
                + "benchmark names or report them separately"
        }
    }
}

/// One run read from disk: its results.json, where it was found, and its wall time (the sum of timings.json).
public struct ReportRun: Equatable, Sendable {
    /// The results.json path as found.
    public var file: String
    public var results: RunResults
    /// Seconds over every phase in timings.json; nil when the run has no timings.json.
    public var wallSeconds: Double?

    public init(file: String, results: RunResults, wallSeconds: Double?) {
        self.file = file
        self.results = results
        self.wallSeconds = wallSeconds
    }

    /// Reads `url` (a results.json) and the timings.json beside it, and checks the matrix and parameter counts.
    public static func read(resultsAt url: URL) throws(ReportError) -> ReportRun {
        let results: RunResults
        do { results = try RunResults.read(from: url) } catch { throw .results(error) }
        do { _ = try results.accuracyMatrix() } catch { throw .invalidRun(file: url.path, reason: error.description) }
        guard results.tasks.count == results.matrix[0].count else {
            throw .invalidRun(file: url.path, reason: "\(results.tasks.count) task names for a matrix of "
                              + "\(results.matrix[0].count) tasks")
        }
        if let p = results.params, p.storedAfterTask.count != results.matrix.count {
            throw .invalidRun(file: url.path, reason: "params has \(p.storedAfterTask.count) counts for "
                              + "\(results.matrix.count) rows of the matrix, expected one per row")
        }
        let timings = url.deletingLastPathComponent().appendingPathComponent("timings.json")
        return ReportRun(file: url.path, results: results, wallSeconds: try wallSeconds(timings))
    }

    /// The sum of a timings.json's values, nil when the file does not exist.
    static func wallSeconds(_ url: URL) throws(ReportError) -> Double? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .badTimings(file: url.path, reason: error.localizedDescription)
        }
        let seconds: [String: Double]
        do { seconds = try JSONDecoder().decode([String: Double].self, from: data) } catch let error as DecodingError {
            throw .badTimings(file: url.path, reason: describe(error))
        } catch {
            throw .badTimings(file: url.path, reason: "\(error)")
        }
        return seconds.values.reduce(0, +)
    }

    /// Every run under `paths`: a results.json file, a run folder holding one, or any folder, searched recursively
    /// for files named results.json (hidden folders skipped). Sorted by path; a file reached twice is read once.
    public static func find(_ paths: [String]) throws(ReportError) -> [ReportRun] {
        var files: [URL] = []
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw .notFound(path: path)
            }
            let url = URL(fileURLWithPath: path)
            let found = isFolder.boolValue ? resultsFiles(below: url) : [url]
            guard !found.isEmpty else { throw .noResults(path: path) }
            files += found
        }
        var seen = Set<String>(), runs: [ReportRun] = []
        for file in files where seen.insert(file.standardizedFileURL.resolvingSymlinksInPath().path).inserted {
            runs.append(try read(resultsAt: file))
        }
        return runs
    }

    /// Files named results.json in `folder` and below it, sorted by path.
    static func resultsFiles(below folder: URL) -> [URL] {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil,
                                                          options: [.skipsHiddenFiles]) else { return [] }
        var found: [URL] = []
        for case let url as URL in walker where url.lastPathComponent == "results.json" { found.append(url) }
        return found.sorted { $0.path < $1.path }
    }
}

/// Mean and sample standard deviation (n − 1) of a metric over a group's runs; `sd` is nil for one value.
public struct Statistic: Codable, Equatable, Sendable {
    public var mean: Double
    public var sd: Double?
    /// How many runs had a value.
    public var n: Int

    /// Summary of the non-nil values; nil when there are none.
    public init?(_ values: [Double?]) {
        let xs = values.compactMap { $0 }
        guard !xs.isEmpty else { return nil }
        let mean = xs.reduce(0, +) / Double(xs.count)
        self.mean = mean
        self.n = xs.count
        sd = xs.count < 2 ? nil
            : (xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count - 1)).squareRoot()
    }

    private enum CodingKeys: String, CodingKey { case mean, sd, n }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mean, forKey: .mean)
        try c.encodeOrNull(sd, forKey: .sd)
        try c.encode(n, forKey: .n)
    }
}

/// The runs of one method on one benchmark with one model, and their summary.
public struct ReportGroup: Equatable, Sendable {
    /// The benchmark's name; runs without one are labelled by their task list ("tasks a, b, c").
    public var benchmark: String
    public var model: String
    public var method: String
    public var tasks: [String]
    /// Sorted by seed, then by file.
    public var runs: [ReportRun]

    public var seeds: [UInt64] { runs.map(\.results.seed) }
    /// "seta on cl:order1 with default", for messages.
    public var label: String { "\(method) on \(benchmark) with \(model)" }

    /// Element-wise mean of the runs' accuracy matrices (all runs share one shape).
    public var meanMatrix: [[Double]] { meanRows(runs.map(\.results.matrix)) }
    /// Element-wise mean of the zero-shot scores, nil unless every run has them.
    public var meanZeroShot: [Double]? {
        let all = runs.compactMap(\.results.zeroShot)
        return all.count == runs.count ? meanVectors(all) : nil
    }
    /// Mean parameters stored after each task, nil unless every run records them.
    public var meanStoredAfterTask: [Double]? {
        let all = runs.compactMap(\.results.params?.storedAfterTask)
        return all.count == runs.count ? meanVectors(all.map { $0.map(Double.init) }) : nil
    }
    /// Independent experts' parameters after each task, from the first run that records them.
    public var independentEquivalent: [Int]? { runs.lazy.compactMap(\.results.params?.independentEquivalent).first }

    public var aa: Statistic? { Statistic(runs.map(\.results.metrics.aa)) }
    public var bwt: Statistic? { Statistic(runs.map(\.results.metrics.bwt)) }
    public var fwt: Statistic? { Statistic(runs.map(\.results.metrics.fwt)) }
    public var forgetting: Statistic? { Statistic(runs.map(\.results.metrics.forgetting)) }
    /// Parameters stored after the last task.
    public var storedParameters: Statistic? {
        Statistic(runs.map { $0.results.params?.storedAfterTask.last.map(Double.init) })
    }
    /// Stored parameters after the last task as a share of independent experts' (1 = as many).
    public var parameterRatio: Statistic? { Statistic(runs.map { $0.results.params?.ratio.last }) }
    public var routingAccuracy: Statistic? { Statistic(runs.map(\.results.routingAccuracy)) }
    public var wallSeconds: Statistic? { Statistic(runs.map(\.wallSeconds)) }
}

private func meanVectors(_ vectors: [[Double]]) -> [Double] {
    vectors[0].indices.map { j in vectors.map { $0[j] }.reduce(0, +) / Double(vectors.count) }
}

private func meanRows(_ matrices: [[[Double]]]) -> [[Double]] {
    matrices[0].indices.map { i in meanVectors(matrices.map { $0[i] }) }
}

/// Runs grouped by benchmark, model and method: benchmarks in name order, methods in the order of SETA.md
/// (SETA, then the baselines, then the upper bounds; unknown methods after them by name).
public struct ComparisonReport: Equatable, Sendable {
    public var groups: [ReportGroup]

    /// Method names in the order of SETA.md's baselines.
    public static let methodOrder = ["seta", "seq-lora", "ewc-lora", "o-lora", "inc-lora", "replay-lora",
                                     "independent", "per-task-lora", "mtl-lora"]

    public init(runs: [ReportRun]) throws(ReportError) {
        var byKey: [String: ReportGroup] = [:]
        for run in runs {
            let r = run.results
            let benchmark = r.benchmark ?? "tasks " + r.tasks.joined(separator: ", ")
            let model = r.model + (r.recordedWeights.map { " (\($0) weights)" } ?? "")   // not averaged with f32
            let key = [benchmark, model, r.method].joined(separator: "\u{0}")
            guard var group = byKey[key] else {
                byKey[key] = ReportGroup(benchmark: benchmark, model: model, method: r.method, tasks: r.tasks,
                                         runs: [run])
                continue
            }
            let first = group.runs[0]
            if r.tasks != group.tasks {
                throw .inconsistentGroup(group: group.label, first: first.file, other: run.file, reason:
                    "tasks \(r.tasks.joined(separator: ", ")) against \(group.tasks.joined(separator: ", "))")
            }
            if r.matrix.count != first.results.matrix.count {
                throw .inconsistentGroup(group: group.label, first: first.file, other: run.file, reason:
                    "\(r.matrix.count) matrix rows against \(first.results.matrix.count)")
            }
            if (r.zeroShot == nil) != (first.results.zeroShot == nil) {
                throw .inconsistentGroup(group: group.label, first: first.file, other: run.file,
                                         reason: "one has zero-shot scores and the other not")
            }
            group.runs.append(run)
            byKey[key] = group
        }
        func rank(_ method: String) -> Int { Self.methodOrder.firstIndex(of: method) ?? Self.methodOrder.count }
        groups = byKey.values.map { group in
            var g = group
            g.runs.sort { ($0.results.seed, $0.file) < ($1.results.seed, $1.file) }
            return g
        }.sorted {
            ($0.benchmark, $0.model, rank($0.method), $0.method) < ($1.benchmark, $1.model, rank($1.method), $1.method)
        }
    }

    /// The benchmarks in report order, each with its groups.
    public var benchmarks: [(name: String, groups: [ReportGroup])] {
        var out: [(name: String, groups: [ReportGroup])] = []
        for g in groups {
            if out.last?.name == g.benchmark {
                out[out.count - 1].groups.append(g)
            } else {
                out.append((g.benchmark, [g]))
            }
        }
        return out
    }

    /// True when the runs used more than one model (the table then names the model).
    public var hasSeveralModels: Bool { Set(groups.map(\.model)).count > 1 }
}
