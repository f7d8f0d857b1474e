// Fuzzing of task-folder loading (TaskStream.load → TaskLoader.load, as `seta train --data … --tasks …` does):
// random truncations, byte flips and extreme values must never crash, hang or allocate without bound — a bad
// file is a thrown DataError naming it (or its folder).
//
// Seed inputs: the fixture tasks in every format — O-LoRA CL_Benchmark (tiny_copa, tiny_topic:
// {train,test,labels,task}.json), SuperNI (tiny_superni: {train,test}.json) and JSONL (tiny_jsonl_cls,
// tiny_jsonl_gen, tiny_jsonl_declared: {train,test}.jsonl + task.json). 600 iterations (seed 0xDA7A) pick a task
// and one of its files and apply JSON-aware mutations (literals replaced by extreme numbers or values of
// another type, structure and lines edited, bytes flipped, truncation), or delete the file (1 in 20). A task
// that still loads must build every prompt.
//
// Why 600: ~100 mutants per task, so every file of every format is mutated dozens of times, in about a second
// of a debug build. Bounded by iterations, not by time (the slowest one is in the run's summary).
import Foundation
import SetaFuzzing
import Testing
import SetaTestSupport
@testable import SetaData

@Suite(.tags(.slow)) struct FuzzTaskFileTests {
    static let seed: UInt64 = 0xDA7A
    static let iterations = 600
    static let tasks = ["tiny_copa", "tiny_topic", "tiny_superni", "tiny_jsonl_cls", "tiny_jsonl_gen", "tiny_jsonl_declared"]

    @Test func mutatedTaskFilesThrowTypedErrors() throws {
        var originals: [String: [String: [UInt8]]] = [:]  // task → file → bytes
        for task in Self.tasks {
            let folder = Fixtures.task(task)
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() {
                originals[task, default: [:]][name] = Array(try Data(contentsOf: folder.appendingPathComponent(name)))
            }
        }
        let scratch = try FuzzScratch("tasks")
        defer { scratch.remove() }
        var mutator = Mutator(seed: Self.seed)
        var run = FuzzRun("task files")
        var formats: Set<TaskLoader.Format> = []
        for i in 0 ..< Self.iterations {
            let task = Self.tasks[mutator.below(Self.tasks.count)]
            let files = originals[task]!.keys.sorted()
            let target = files[mutator.below(files.count)]
            let delete = mutator.below(20) == 0
            let m = mutator.mutateJSON(originals[task]![target]!)
            let dataDir = scratch.url("data-\(i)"), folder = dataDir.appendingPathComponent(task)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (name, bytes) in originals[task]! where !(delete && name == target) {
                try Data(name == target ? m.bytes : bytes).write(to: folder.appendingPathComponent(name))
            }
            let summary = "\(task)/\(target): " + (delete ? "deleted" : m.summary)
            run.iteration(i, summary, mustName: folder.path, isExpected: { $0 is DataError }) {
                if let format = try? TaskLoader.format(of: folder) { formats.insert(format) }
                for loaded in try TaskStream.load(dataDir: dataDir, tasks: [task]) {
                    for e in loaded.train + loaded.test { _ = e.prompt }
                }
            }
            try? FileManager.default.removeItem(at: dataDir)
        }
        #expect(run.problems.isEmpty, "\(run.problems.prefix(10).joined(separator: "\n"))")
        #expect(run.rejected > Self.iterations / 4 && run.accepted > 0, "\(run)")
        #expect(formats == [.olora, .superNI, .jsonl])
    }

    /// Sizes and shapes no real task file has (file, contents), by name.
    static let extremeFiles: [String: (String, String)] = [
        "number too large for Int as the prompt": ("train.jsonl", #"{"prompt": 99999999999999999999999, "completion": "x"}"#),
        "100 000 nested brackets": ("train.jsonl", String(repeating: "[", count: 100_000)),
        "1 MiB prompt, completion 1e300": ("train.jsonl", #"{"prompt": ""# + String(repeating: "a", count: 1 << 20) + #"", "completion": 1e300}"#),
        "BOM, NUL and U+FFFF": ("test.jsonl", "\u{FEFF}\u{0}\u{FFFF}"),
        "kind 2^40": ("task.json", #"{"kind": 1099511627776}"#),
    ]

    @Test(arguments: extremeFiles.keys.sorted())
    func extremeJSONLIsADataError(_ name: String) throws {
        let (file, contents) = Self.extremeFiles[name]!
        let tree = try TempTree([
            "t/train.jsonl": #"{"prompt": "a", "completion": "b"}"#, "t/test.jsonl": #"{"prompt": "a", "completion": "b"}"#,
        ])
        defer { tree.cleanup() }
        try contents.write(to: tree.url("t/\(file)"), atomically: true, encoding: .utf8)
        let e = expectDataError { _ = try TaskLoader.load(folder: tree.url("t")) }
        #expect(e.map { "\($0)".contains(tree.url("t/\(file)").path) } == true, "\(String(describing: e))")
    }
}
