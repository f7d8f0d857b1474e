// Task streams: named benchmarks (published task orders) and ad-hoc streams (--data DIR --tasks a,b,c).
import Foundation

/// A named, published task order over one subfolder of the data root.
///
/// - `cl:order1` … `cl:order3`: O-LoRA's Standard CL Benchmark (4 tasks). Yahoo Answers is missing from the
///   data, so **yelp substitutes yahoo** at yahoo's position (yelp is in no standard order, so each order still
///   has 4 distinct tasks: 2 topic + 2 sentiment).
/// - `long:order4` … `long:order6`: O-LoRA's Long Sequence Benchmark, run as **14 tasks with yahoo dropped**
///   (yelp is already part of these orders, so nothing can substitute it).
/// - `superni:order1`, `superni:order2`: the 15 SuperNI tasks in the order of SAPT / GainLoRA.
public struct Benchmark: Equatable, Sendable {
    public var name: String
    /// Task folder names, in training order.
    public var tasks: [String]
    /// The subfolder of the data root holding the task folders: `cl-benchmark` or `superni`.
    public var subfolder: String

    public init(name: String, tasks: [String], subfolder: String) {
        self.name = name
        self.tasks = tasks
        self.subfolder = subfolder
    }

    /// The benchmarks `named(_:)` knows, in a stable order.
    public static let all: [Benchmark] = {
        let cl = "cl-benchmark", sni = "superni"
        let s = (
            t1572: "task1572_samsum_summary", t363: "task363_sst2_polarity_classification",
            t1290: "task1290_xsum_summarization", t181: "task181_outcome_extraction",
            t002: "task002_quoref_answer_generation", t1510: "task1510_evalution_relation_extraction",
            t639: "task639_multi_woz_user_utterance_generation", t1729: "task1729_personachat_generate_next",
            t073: "task073_commonsenseqa_answer_generation", t1590: "task1590_diplomacy_text_generation",
            t748: "task748_glucose_reverse_cause_event_detection",
            t511: "task511_reddit_tifu_long_text_summarization", t591: "task591_sciq_answer_generation",
            t1687: "task1687_sentiment140_classification", t875: "task875_emotion_classification")
        return [
            // Upstream: dbpedia → amazon → yahoo → agnews.
            Benchmark(name: "cl:order1", tasks: ["dbpedia", "amazon", "yelp", "agnews"], subfolder: cl),
            // Upstream: dbpedia → amazon → agnews → yahoo.
            Benchmark(name: "cl:order2", tasks: ["dbpedia", "amazon", "agnews", "yelp"], subfolder: cl),
            // Upstream: yahoo → amazon → agnews → dbpedia.
            Benchmark(name: "cl:order3", tasks: ["yelp", "amazon", "agnews", "dbpedia"], subfolder: cl),
            Benchmark(name: "long:order4", tasks: [
                "mnli", "cb", "wic", "copa", "qqp", "boolq", "rte", "imdb", "yelp", "amazon", "sst2", "dbpedia",
                "agnews", "multirc",
            ], subfolder: cl),
            Benchmark(name: "long:order5", tasks: [
                "multirc", "boolq", "wic", "mnli", "cb", "copa", "qqp", "rte", "imdb", "sst2", "dbpedia", "agnews",
                "yelp", "amazon",
            ], subfolder: cl),
            Benchmark(name: "long:order6", tasks: [
                "yelp", "amazon", "mnli", "cb", "copa", "qqp", "rte", "imdb", "sst2", "dbpedia", "agnews",
                "multirc", "boolq", "wic",
            ], subfolder: cl),
            Benchmark(name: "superni:order1", tasks: [
                s.t1572, s.t363, s.t1290, s.t181, s.t002, s.t1510, s.t639, s.t1729, s.t073, s.t1590, s.t748, s.t511,
                s.t591, s.t1687, s.t875,
            ], subfolder: sni),
            Benchmark(name: "superni:order2", tasks: [
                s.t748, s.t073, s.t1590, s.t639, s.t1572, s.t1687, s.t591, s.t363, s.t1510, s.t1729, s.t181, s.t511,
                s.t002, s.t1290, s.t875,
            ], subfolder: sni),
        ]
    }()

    /// The benchmark called `name` (e.g. `cl:order1`), or `DataError.unknownBenchmark` listing the names.
    public static func named(_ name: String) throws -> Benchmark {
        guard let b = all.first(where: { $0.name == name }) else {
            throw DataError.unknownBenchmark(name: name, available: all.map(\.name))
        }
        return b
    }

    /// Loads the benchmark's tasks, in order, from `dataRoot/subfolder`.
    public func load(dataRoot: URL) throws -> [TaskData] {
        try TaskStream.load(dataDir: dataRoot.appendingPathComponent(subfolder), tasks: tasks)
    }

    /// The data root: `argument` if given, else the environment variable `SETA_DATA`, else `../shared/data`
    /// relative to the current directory if that folder exists; nil when none applies.
    public static func defaultDataRoot(
        argument: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) -> URL? {
        if let argument, !argument.isEmpty { return URL(fileURLWithPath: argument) }
        if let env = environment["SETA_DATA"], !env.isEmpty { return URL(fileURLWithPath: env) }
        let fallback = URL(fileURLWithPath: currentDirectory).appendingPathComponent("../shared/data")
            .standardizedFileURL
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: fallback.path, isDirectory: &isDir) && isDir.boolValue
            ? fallback : nil
    }
}

/// Ad-hoc streams: any task folders of one data folder, in a given order.
public enum TaskStream {
    /// The task folders in `dataDir` (subfolders, sorted by name).
    public static func availableTasks(in dataDir: URL) throws -> [String] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: dataDir.path, isDirectory: &isDir), isDir.boolValue else {
            throw DataError.folderMissing(path: dataDir.path)
        }
        let names = (try? fm.contentsOfDirectory(atPath: dataDir.path)) ?? []
        return names.filter { name in
            var d: ObjCBool = false
            return !name.hasPrefix(".")
                && fm.fileExists(atPath: dataDir.appendingPathComponent(name).path, isDirectory: &d)
                && d.boolValue
        }.sorted()
    }

    /// Loads `tasks` (folder names in `dataDir`) in order. Fails on a duplicate name or an unknown one (listing
    /// the available tasks) before reading any file.
    public static func load(dataDir: URL, tasks: [String]) throws -> [TaskData] {
        let available = try availableTasks(in: dataDir)
        var seen = Set<String>()
        for name in tasks {
            guard seen.insert(name).inserted else { throw DataError.duplicateTask(name: name, folder: dataDir.path) }
            guard available.contains(name) else {
                throw DataError.unknownTask(name: name, folder: dataDir.path, available: available)
            }
        }
        return try tasks.map { try TaskLoader.load(folder: dataDir.appendingPathComponent($0)) }
    }

    /// Parses a `--tasks a,b,c` list: comma-separated, surrounding spaces trimmed, empty items dropped.
    public static func parseTaskList(_ list: String) -> [String] {
        list.split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
    }
}
