// Every bad input gives its typed error, naming the file (and the line, for JSONL).
import Foundation
import Testing
@testable import SetaData

@Suite struct DataErrorTests {
    static let labels = #"["yes", "no"]"#
    static let info = #"{"instruction": "Answer.\n"}"#
    static let rows = #"[{"sentence": "s", "label": "yes"}]"#

    /// Loads `task` from a temporary tree and returns the DataError it throws.
    func error(_ files: [String: String], task: String = "t") throws -> (DataError?, TempTree) {
        let tree = try TempTree(files)
        let e = expectDataError { _ = try TaskLoader.load(folder: tree.url(task)) }
        return (e, tree)
    }

    @Test func missingFolder() throws {
        let (e, tree) = try error([:], task: "absent")
        defer { tree.cleanup() }
        guard case .folderMissing(let path)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(path.hasSuffix("absent"))
        #expect(e!.description.contains(path))
    }

    @Test func unknownFormatListsFiles() throws {
        let (e, tree) = try error(["t/data.csv": "a,b", "t/notes.txt": "x"])
        defer { tree.cleanup() }
        guard case .unknownFormat(_, let found)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(found == ["data.csv", "notes.txt"])
        #expect(e!.description.contains("data.csv, notes.txt"))
    }

    @Test func malformedJSONNamesTheFile() throws {
        let (e, tree) = try error([
            "t/train.json": #"[{"sentence": "s", "label": "yes"},"#, "t/test.json": Self.rows,
            "t/labels.json": Self.labels, "t/task.json": Self.info,
        ])
        defer { tree.cleanup() }
        guard case .malformedJSON(let path, _)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(path.hasSuffix("t/train.json"))
        #expect(e!.description.contains("t/train.json"))
    }

    @Test func wrongShapeIsMalformedJSON() throws {
        let (e, tree) = try error([
            "t/train.json": #"[{"text": "s", "label": "yes"}]"#, "t/test.json": Self.rows,
            "t/labels.json": Self.labels, "t/task.json": Self.info,
        ])
        defer { tree.cleanup() }
        guard case .malformedJSON(let path, let detail)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(path.hasSuffix("t/train.json"))
        #expect(detail.contains("sentence") && detail.contains("[0]"))
    }

    @Test func malformedJSONLGivesTheLine() throws {
        let (e, tree) = try error([
            "t/train.jsonl": "{\"prompt\": \"a\", \"completion\": \"b\"}\n\n{\"prompt\": \"c\"}\n",
            "t/test.jsonl": "{\"prompt\": \"a\", \"completion\": \"b\"}\n",
        ])
        defer { tree.cleanup() }
        guard case .malformedJSONL(let path, let line, let detail)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(path.hasSuffix("t/train.jsonl"))
        #expect(line == 3)
        #expect(detail.contains("completion"))
        #expect(e!.description.contains("t/train.jsonl at line 3"))

        let (e2, tree2) = try error([
            "t/train.jsonl": "{\"prompt\": \"a\", \"completion\": \"b\"}\n",
            "t/test.jsonl": "{\"prompt\": \"a\", \"completion\": \"b\"}\nnot json\n",
        ])
        defer { tree2.cleanup() }
        guard case .malformedJSONL(let p2, 2, _)? = e2 else { Issue.record("got \(String(describing: e2))"); return }
        #expect(p2.hasSuffix("t/test.jsonl"))
    }

    @Test func jsonlNeedsBothFiles() throws {
        let (e, tree) = try error(["t/train.jsonl": "{\"prompt\": \"a\", \"completion\": \"b\"}\n"])
        defer { tree.cleanup() }
        guard case .missingFile(let path, _)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(path.hasSuffix("t/test.jsonl"))
    }

    @Test func emptyTrainOrTest() throws {
        let (e, tree) = try error([
            "t/train.json": "[]", "t/test.json": Self.rows, "t/labels.json": Self.labels, "t/task.json": Self.info,
        ])
        defer { tree.cleanup() }
        guard case .emptyTask(let path, "train")? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(path.hasSuffix("t/train.json"))

        // A test split whose every row has an unknown label is empty too.
        let (e2, tree2) = try error([
            "t/train.json": Self.rows, "t/test.json": #"[{"sentence": "s", "label": "-"}]"#,
            "t/labels.json": Self.labels, "t/task.json": Self.info,
        ])
        defer { tree2.cleanup() }
        guard case .emptyTask(let p2, "test")? = e2 else { Issue.record("got \(String(describing: e2))"); return }
        #expect(p2.hasSuffix("t/test.json"))

        let (e3, tree3) = try error(["t/train.jsonl": "\n\n", "t/test.jsonl": "{\"prompt\": \"a\", \"completion\": \"b\"}"])
        defer { tree3.cleanup() }
        guard case .emptyTask(let p3, "train")? = e3 else { Issue.record("got \(String(describing: e3))"); return }
        #expect(p3.hasSuffix("t/train.jsonl"))

        let (e4, tree4) = try error([
            "t/train.json": #"{"Definition": ["D"], "Instances": [{"id": "1", "input": "x", "output": ["y"]}]}"#,
            "t/test.json": #"{"Definition": ["D"], "Instances": []}"#,
        ])
        defer { tree4.cleanup() }
        guard case .emptyTask(let p4, "test")? = e4 else { Issue.record("got \(String(describing: e4))"); return }
        #expect(p4.hasSuffix("t/test.json"))
    }

    @Test func oloraNeedsLabelsJSON() throws {
        let (e, tree) = try error(["t/train.json": Self.rows, "t/test.json": Self.rows, "t/task.json": Self.info])
        defer { tree.cleanup() }
        guard case .missingFile(let path, _)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(path.hasSuffix("t/labels.json"))
        #expect(e!.description.contains("labels.json"))
    }

    @Test func unknownTrainLabelIsAnError() throws {
        let (e, tree) = try error([
            "t/train.json": #"[{"sentence": "s", "label": "yes"}, {"sentence": "s", "label": "maybe"}]"#,
            "t/test.json": Self.rows, "t/labels.json": Self.labels, "t/task.json": Self.info,
        ])
        defer { tree.cleanup() }
        guard case .unknownLabel(let path, let row, let label, let labels)? = e else {
            Issue.record("got \(String(describing: e))"); return
        }
        #expect(path.hasSuffix("t/train.json"))
        #expect(row == 1 && label == "maybe" && labels == ["yes", "no"])
    }

    @Test func unknownBenchmarkListsTheNames() throws {
        let e = expectDataError { _ = try Benchmark.named("cl:order9") }
        guard case .unknownBenchmark(_, let available)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(available.contains("cl:order1") && available.contains("superni:order2"))
        #expect(e!.description.contains("long:order4"))
    }

    @Test func missingDataFolder() throws {
        let e = expectDataError { _ = try TaskStream.load(dataDir: URL(fileURLWithPath: "/nonexistent/seta"), tasks: ["a"]) }
        guard case .folderMissing("/nonexistent/seta")? = e else { Issue.record("got \(String(describing: e))"); return }
    }
}
