// The comparison report: finding runs, grouping by benchmark + method with mean ± sample sd (hand-computed),
// the text / Markdown / CSV / JSON renderings, and bad input as typed errors naming the file.
import Foundation
import SetaMetrics
import Testing
@testable import SetaReports

/// A temporary folder of run folders, each with results.json and, when given, timings.json.
struct RunTree {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("seta-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    @discardableResult
    func add(_ path: String, _ results: RunResults, timings: [String: Double]? = nil) throws -> URL {
        let folder = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try results.write(to: folder.appendingPathComponent("results.json"))
        if let timings {
            try JSONEncoder().encode(timings).write(to: folder.appendingPathComponent("timings.json"))
        }
        return folder
    }

    func write(_ path: String, _ text: String) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    func cleanup() { try? FileManager.default.removeItem(at: root) }
}

func run(_ method: String, seed: UInt64, benchmark: String?, tasks: [String] = ["x", "y"], rows: [[Double]],
         zeroShot: [Double]?, stored: [Int]? = nil, independent: [Int] = [400, 800],
         routing: Double? = nil) throws -> RunResults {
    RunResults(method: method, model: "tiny", seed: seed, benchmark: benchmark, tasks: tasks,
               accuracy: try AccuracyMatrix(rows: rows, zeroShot: zeroShot),
               params: try stored.map { try ParameterGrowth(storedAfterTask: $0, independentEquivalent: independent) },
               routingAccuracy: routing, config: [:])
}

/// Two SETA seeds and one SeqLoRA run on benchmark "b1", one SETA run without a benchmark.
///   seta seed 0: AA 80, BWT −10, FWT −5, FGT 10; stored 150 of 800; routing 90; 30 s
///   seta seed 1: AA 80, BWT 0,   FWT −5, FGT 0;  stored 250 of 800; routing 100; 50 s
///   seq-lora:    AA 62.5, BWT −60, FWT −5, FGT 60; no routing, no timings
func sampleTree() throws -> RunTree {
    let tree = try RunTree()
    try tree.add("b1/seta-s1", try run("seta", seed: 1, benchmark: "b1", rows: [[60, 20], [60, 100]], zeroShot: [5, 25],
                                       stored: [100, 250], routing: 100), timings: ["train_task_0_seconds": 50])
    try tree.add("b1/seta-s0", try run("seta", seed: 0, benchmark: "b1", rows: [[80, 10], [70, 90]], zeroShot: [5, 15],
                                       stored: [100, 150], routing: 90),
                 timings: ["zero_shot_seconds": 10, "train_task_0_seconds": 20])
    try tree.add("b1/seq", try run("seq-lora", seed: 0, benchmark: "b1", rows: [[90, 10], [30, 95]], zeroShot: [5, 15],
                                   stored: [50, 50]))
    try tree.add("other/demo", try run("seta", seed: 3, benchmark: nil, rows: [[50, 0], [50, 50]], zeroShot: nil))
    return tree
}

private func close(_ a: Double?, _ b: Double) -> Bool { a.map { abs($0 - b) < 1e-9 } ?? false }

@Suite struct ReportTests {
    @Test func groupsByBenchmarkAndMethodWithMeanAndSampleSD() throws {
        let tree = try sampleTree()
        defer { tree.cleanup() }
        let report = try ComparisonReport(runs: try ReportRun.find([tree.root.path]))
        #expect(report.groups.map(\.method) == ["seta", "seq-lora", "seta"])
        #expect(report.groups.map(\.benchmark) == ["b1", "b1", "tasks x, y"])
        let seta = report.groups[0]
        #expect(seta.seeds == [0, 1] && seta.runs.count == 2)
        #expect(close(seta.aa?.mean, 80) && close(seta.aa?.sd, 0))
        // BWT −10 and 0: mean −5, sample sd √((25 + 25) / 1) = √50.
        #expect(close(seta.bwt?.mean, -5) && close(seta.bwt?.sd, 50.0.squareRoot()))
        #expect(close(seta.fwt?.mean, -5) && close(seta.fwt?.sd, 0))
        #expect(close(seta.forgetting?.mean, 5) && close(seta.forgetting?.sd, 50.0.squareRoot()))
        #expect(close(seta.storedParameters?.mean, 200) && close(seta.storedParameters?.sd, 5000.0.squareRoot()))
        // 150/800 and 250/800: mean 0.25, sd √(2 × 0.0625²).
        #expect(close(seta.parameterRatio?.mean, 0.25) && close(seta.parameterRatio?.sd, (2 * 0.0625 * 0.0625).squareRoot()))
        #expect(close(seta.routingAccuracy?.mean, 95) && close(seta.wallSeconds?.mean, 40) && close(seta.wallSeconds?.sd, 200.0.squareRoot()))
        #expect(seta.meanMatrix == [[70, 15], [65, 95]] && seta.meanZeroShot == [5, 20])
        #expect(seta.meanStoredAfterTask == [100, 200] && seta.independentEquivalent == [400, 800])
        let seq = report.groups[1]
        #expect(seq.aa == Statistic([62.5]) && seq.aa?.sd == nil && seq.aa?.n == 1)
        #expect(seq.routingAccuracy == nil && seq.wallSeconds == nil)
        #expect(report.groups[2].fwt == nil && report.groups[2].storedParameters == nil)
    }

    @Test func bf16RunsAreRowsOfTheirOwnWithACommandThatAsksForBF16() throws {
        let tree = try sampleTree()
        defer { tree.cleanup() }
        var bf16 = try run("seta", seed: 0, benchmark: "b1", rows: [[70, 10], [60, 90]], zeroShot: [5, 15])
        bf16.config = ["weights": .string("bf16")]
        try tree.add("b1-bf16/seta-s0", bf16)
        let report = try ComparisonReport(runs: try ReportRun.find([tree.root.path]))
        let groups = report.groups.filter { $0.benchmark == "b1" && $0.method == "seta" }
        #expect(groups.map(\.model) == ["tiny", "tiny (bf16 weights)"] && groups.map(\.runs.count) == [2, 1])
        #expect(groups[1].command == "seta train --method seta --benchmark b1 --model tiny --weights bf16 --seed 0 --out runs/b1-bf16/seta")
        #expect(!groups[0].command.contains("--weights") && !groups[0].command.contains("bf16"))
    }

    @Test func commandRepeatsEvalTasksWhenTheRunScoredOnlySeenTasks() throws {
        let tree = try sampleTree()
        defer { tree.cleanup() }
        var seen = try run("seta", seed: 0, benchmark: "b2", rows: [[70, 10], [60, 90]], zeroShot: [5, 15])
        seen.config = ["training": .object(["epochs": .number(2), "evaluated_tasks": .string("seen")])]
        try tree.add("b2/seta-s0", seen)
        let report = try ComparisonReport(runs: try ReportRun.find([tree.root.path]))
        let group = try #require(report.groups.first { $0.benchmark == "b2" })
        #expect(group.command == "seta train --method seta --benchmark b2 --model tiny --epochs 2 --eval-tasks seen --seed 0 --out runs/b2/seta")
        #expect(report.groups.filter { $0.benchmark == "b1" }.allSatisfy { !$0.command.contains("--eval-tasks") })
    }

    @Test func sampleStandardDeviationUsesNMinusOne() throws {
        let s = try #require(Statistic([2, 4, 4, 4, 5, 5, 7, 9, nil]))
        #expect(s.mean == 5 && s.n == 8)
        #expect(close(s.sd, (32.0 / 7).squareRoot()))
        #expect(Statistic([nil, nil]) == nil)
    }

    @Test func textAndMarkdownTables() throws {
        let tree = try sampleTree()
        defer { tree.cleanup() }
        let report = try ComparisonReport(runs: try ReportRun.find([tree.root.path]))
        let text = report.text()
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("benchmark") && lines[0].contains("AA") && lines[0].contains("wall time"))
        #expect(lines[2].hasPrefix("b1") && lines[2].contains("80.0 ± 0.0") && lines[2].contains("-5.0 ± 7.1"))
        #expect(lines[2].contains("200 ± 71") && lines[2].contains("25% ± 9%") && lines[2].contains("95.0 ± 7.1"))
        #expect(lines[2].contains("40 s ± 14 s") && lines[2].contains("0, 1"))
        #expect(lines[3].hasPrefix("  ") && lines[3].contains("seq-lora") && lines[3].contains("62.5"))
        #expect(lines[3].hasSuffix("n/a"))  // no timings → no wall time
        #expect(text.contains("b1: x → y") && text.contains("sample sd"))

        let markdown = report.markdown()
        let rows = markdown.split(separator: "\n").filter { $0.hasPrefix("|") }
        #expect(rows.count == 2 + 3)
        #expect(rows[1] == "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        #expect(rows[2].hasPrefix("| b1 | seta | 0, 1 | 80.0 ± 0.0 | -5.0 ± 7.1 |"))
        #expect(rows[3].hasPrefix("| b1 | seq-lora | 0 | 62.5 | -60.0 | -5.0 | 60.0 | 50 | 6% | n/a | n/a |"))
        #expect(rows[4].hasPrefix("| tasks x, y | seta | 3 | 50.0 | 0.0 | n/a |"))
        // The command that runs each group again.
        #expect(markdown.contains("- seta on b1: `seta train --method seta --benchmark b1 --model tiny --seeds 0,1 --out runs/b1/seta`"), "\(markdown)")
        #expect(markdown.contains("- seta on tasks x, y: `seta train --method seta --data DIR --tasks x,y --model tiny --seed 3 --out runs/tasks-x-y/seta`"), "\(markdown)")
    }

    @Test func csvHasPlainNumbers() throws {
        let tree = try sampleTree()
        defer { tree.cleanup() }
        let csv = try ComparisonReport(runs: try ReportRun.find([tree.root.path])).csv()
        let lines = csv.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(header.prefix(8) == ["benchmark", "model", "method", "tasks", "runs", "seeds", "aa_mean", "aa_sd"])
        let seta = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(seta.count == header.count)
        func field(_ name: String) -> String { seta[header.firstIndex(of: name)!] }
        #expect(field("benchmark") == "b1" && field("seeds") == "0;1" && field("runs") == "2")
        #expect(Double(field("bwt_mean")) == -5 && close(Double(field("bwt_sd")), 50.0.squareRoot()))
        #expect(Double(field("wall_seconds_mean")) == 40 && field("independent_params") == "800")
        #expect(lines[3].hasPrefix("\"tasks x, y\",tiny,seta,x;y,1,3,50.0,,"))  // quoted comma, empty sd
    }

    @Test func jsonHoldsStatisticsAndMatrices() throws {
        let tree = try sampleTree()
        defer { tree.cleanup() }
        let text = try ComparisonReport(runs: try ReportRun.find([tree.root.path])).json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let groups = try #require(object["groups"] as? [[String: Any]])
        #expect(groups.count == 3)
        let seta = groups[0]
        #expect(seta["method"] as? String == "seta" && seta["seeds"] as? [Int] == [0, 1] && seta["runs"] as? Int == 2)
        let bwt = try #require(seta["bwt"] as? [String: Any])
        #expect(bwt["mean"] as? Double == -5 && bwt["n"] as? Int == 2)
        #expect(seta["mean_matrix"] as? [[Double]] == [[70, 15], [65, 95]])
        #expect((seta["files"] as? [String])?.first?.hasSuffix("b1/seta-s0/results.json") == true)
        let seq = groups[1]
        #expect(seq["routing_accuracy"] is NSNull && seq["wall_seconds"] is NSNull)
        #expect((seq["aa"] as? [String: Any])?["sd"] is NSNull)
    }

    @Test func fixtureRunsFromRealTraining() throws {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent("runs")
        // A run folder, a results.json path and a folder tree; the run reached twice is read once.
        let runs = try ReportRun.find([root.path, root.appendingPathComponent("cl1-seta").path,
                                       root.appendingPathComponent("demo10/seta/results.json").path])
        #expect(runs.count == 3)
        let report = try ComparisonReport(runs: runs)
        #expect(report.groups.map { "\($0.benchmark)/\($0.method)" } == ["cl:order1/seta", "demo/seta", "demo/seq-lora"])
        let cl1 = report.groups[0]
        #expect(cl1.aa?.mean == 60.25 && cl1.routingAccuracy?.mean == 99)
        #expect(abs(try #require(cl1.wallSeconds?.mean) - 2451.227092011) < 1e-6)  // the sum of its timings.json
        #expect(report.text().contains("40.9 min"))
        #expect(report.markdown().contains("| demo | seq-lora | 0 | 77.5 | -25.3 | 33.3 | 25.3 | 461K | 25% | n/a | 2.7 min |"))
    }

    @Test func generatedSectionIsAppendedThenReplaced() {
        let first = ComparisonReport.replacingSection(in: "# Benchmarks\n\nhand-written\n", with: "table 1")
        #expect(first.hasPrefix("# Benchmarks\n\nhand-written\n\n" + ComparisonReport.sectionBegin + "\ntable 1\n"))
        #expect(first.hasSuffix(ComparisonReport.sectionEnd + "\n"))
        let second = ComparisonReport.replacingSection(in: first + "\nafter\n", with: "table 2\n")
        #expect(second == "# Benchmarks\n\nhand-written\n\n" + ComparisonReport.sectionBegin + "\ntable 2\n"
                + ComparisonReport.sectionEnd + "\n\nafter\n")
        #expect(ComparisonReport.replacingSection(in: second, with: "table 2\n") == second)
    }
}

@Suite struct ReportBadInputTests {
    @Test func missingPathAndFolderWithoutResults() throws {
        let tree = try RunTree()
        defer { tree.cleanup() }
        try tree.write("empty/notes.txt", "nothing here")
        let missing = tree.root.appendingPathComponent("nope").path
        #expect(throws: ReportError.notFound(path: missing)) { try ReportRun.find([missing]) }
        let empty = tree.root.appendingPathComponent("empty").path
        let error = #expect(throws: ReportError.self) { try ReportRun.find([empty]) }
        #expect(error == .noResults(path: empty))
        #expect(error?.description.hasPrefix("\(empty): no results.json found") == true)
    }

    @Test func malformedResultsNameTheFile() throws {
        let tree = try RunTree()
        defer { tree.cleanup() }
        try tree.write("a/results.json", "{\"method\": \"seta\"")
        try tree.write("b/results.json", "{\"method\": \"seta\", \"model\": \"m\"}")
        for name in ["a", "b"] {
            let file = tree.root.appendingPathComponent("\(name)/results.json").path
            let error = #expect(throws: ReportError.self) { try ReportRun.find([tree.root.appendingPathComponent(name).path]) }
            #expect(error?.description.hasPrefix("\(file): malformed results:") == true)
        }
    }

    @Test func badTimingsAndBadMatrix() throws {
        let tree = try RunTree()
        defer { tree.cleanup() }
        let folder = try tree.add("r", try run("seta", seed: 0, benchmark: "b", tasks: ["x"], rows: [[50]], zeroShot: nil))
        try "[1, 2]".write(to: folder.appendingPathComponent("timings.json"), atomically: true, encoding: .utf8)
        let error = #expect(throws: ReportError.self) { try ReportRun.find([folder.path]) }
        #expect(error?.description.hasPrefix(folder.appendingPathComponent("timings.json").path + ": malformed timings") == true)

        var bad = try run("seta", seed: 0, benchmark: "b", tasks: ["x"], rows: [[50]], zeroShot: nil)
        bad.matrix = [[50, 60]]  // 2 scores for 1 task name
        let other = try tree.add("s", bad)
        let mismatch = #expect(throws: ReportError.self) { try ReportRun.find([other.path]) }
        #expect(mismatch?.description.contains("1 task names for a matrix of 2 tasks") == true)
    }

    @Test func differentStreamsUnderOneBenchmarkAreRefused() throws {
        let tree = try RunTree()
        defer { tree.cleanup() }
        try tree.add("a", try run("seta", seed: 0, benchmark: "b", rows: [[50, 0], [50, 50]], zeroShot: nil))
        try tree.add("c", try run("seta", seed: 1, benchmark: "b", tasks: ["x", "z"], rows: [[50, 0], [50, 50]], zeroShot: nil))
        let runs = try ReportRun.find([tree.root.path])
        let error = #expect(throws: ReportError.self) { try ComparisonReport(runs: runs) }
        #expect(error?.description.contains("cannot be averaged with") == true)
        #expect(error?.description.hasPrefix(tree.root.appendingPathComponent("c/results.json").path) == true)
    }
}
