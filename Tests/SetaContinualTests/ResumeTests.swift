// Resume: a run stopped anywhere (between steps, during an evaluation, right after a checkpoint) and continued
// from its last checkpoint on a freshly loaded model gives bit-identical results to an uninterrupted run.
import Foundation
import Testing
import SetaData
import SetaMetrics
import SetaModels
import SetaTensor
@testable import SetaContinual

@Suite struct ResumeTests {
    @Test func runJSONNamesBF16AndLeavesFloat32Out() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let f32 = RunDescription(model: "default", method: "seta", tasks: ["a"], benchmark: nil, seed: 0)
        let bf16 = RunDescription(model: "default", method: "seta", tasks: ["a"], benchmark: nil, seed: 0, weights: .bf16)
        #expect(!String(decoding: try encoder.encode(f32), as: UTF8.self).contains("weights"))
        #expect(String(decoding: try encoder.encode(bf16), as: UTF8.self).contains("\"weights\":\"bf16\""))
        // A run.json from before bf16 existed is a float32 run, equal to one described as f32 now.
        let old = try JSONDecoder().decode(RunDescription.self, from: Data(#"{"model":"default","method":"seta","tasks":["a"],"seed":0}"#.utf8))
        #expect(old == f32 && old.precision == .f32 && bf16.precision == .bf16 && old != bf16)
    }

    static func scratch() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("seta-resume-\(UUID().uuidString)")
    }

    static func strategy(_ method: String) -> ContinualStrategy { Tiny.strategy(method) }

    /// results.json's bytes for a run of `method` on the tiny stream; `stopAfter` polls → interrupted, then resumed.
    static func results(_ method: String, stopAfter polls: Int?) throws -> (json: Data, resumedFrom: Int?) {
        let run = scratch()
        defer { try? FileManager.default.removeItem(at: run) }
        let description = RunDescription(model: "tiny", method: method, tasks: Tiny.tasks().map(\.name), benchmark: nil, seed: 0)
        var resumedFrom: Int?
        if let polls {
            let trainer = ContinualTrainer(model: try Tiny.model(), strategy: strategy(method), tasks: Tiny.tasks(),
                                           options: Tiny.options(), modelName: "tiny", benchmark: nil)
            var count = 0
            trainer.shouldStop = { count += 1; return count > polls }
            #expect(throws: TrainingError.self) { _ = try trainer.run(checkpoints: RunFolder.checkpoints(run)) }
        }
        let lm = try Tiny.model()
        var strategy = strategy(method), point: ResumePoint?
        if let resumed = try RunFolder.resume(run, description: description, model: lm) {
            (strategy, point) = resumed
            resumedFrom = resumed.point.completedTask
        }
        let trainer = ContinualTrainer(model: lm, strategy: strategy, tasks: Tiny.tasks(), options: Tiny.options(),
                                       modelName: "tiny", benchmark: nil)
        let results = try trainer.run(checkpoints: RunFolder.checkpoints(run), resume: point)
        let url = run.appendingPathComponent("results.json")
        try results.write(to: url)
        return (try Data(contentsOf: url), resumedFrom)
    }

    @Test(arguments: ["seta", "seq-lora"] + Tiny.baselines + Tiny.upperBounds)
    func resumedRunsMatchAnUninterruptedRunBitForBit(method: String) throws {
        let reference = try Self.results(method, stopAfter: nil).json
        // Polls: 3 zero-shot, then per task 4 steps + 3 evaluations; a run stops at poll n + 1. 2: during
        // zero-shot; 6: in task 0 (nothing to resume yet); 8: in the evaluation after task 0; 10: right after
        // task 0's checkpoint; 15: in the evaluation after task 1; 17: right after task 1's checkpoint.
        var resumedFrom: [Int?] = []
        for polls in [2, 6, 8, 10, 15, 17] {
            let (json, from) = try Self.results(method, stopAfter: polls)
            resumedFrom.append(from)
            #expect(json == reference, "\(method) stopped after \(polls) polls: results.json differs")
        }
        // mtl trains one stage of 12 steps: every stop above falls before its only checkpoint, so it starts over.
        #expect(resumedFrom == (method == "mtl" ? Array(repeating: nil, count: 6) : [nil, nil, nil, 0, 0, 1]))
    }

    @Test func aHalfWrittenCheckpointLeavesThePreviousOneValid() throws {
        let run = Self.scratch()
        defer { try? FileManager.default.removeItem(at: run) }
        let trainer = ContinualTrainer(model: try Tiny.model(), strategy: SeqLoRA(), tasks: Tiny.tasks(count: 2),
                                       options: Tiny.options(), modelName: "tiny", benchmark: nil)
        var count = 0
        trainer.shouldStop = { count += 1; return count > 12 }   // in task 1, after task 0's checkpoint
        #expect(throws: TrainingError.self) { _ = try trainer.run(checkpoints: RunFolder.checkpoints(run)) }
        // A write killed half-way leaves only its staging folder (a hidden name) with a truncated file.
        let staging = RunFolder.checkpoints(run).appendingPathComponent(".task-1.partial-killed")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        try Data("{\"trunc".utf8).write(to: staging.appendingPathComponent("manifest.json"))
        #expect(RunFolder.lastCheckpoint(run)?.lastPathComponent == "task-0")
        let description = RunDescription(model: "tiny", method: "seq-lora", tasks: ["t0", "t1"], benchmark: nil, seed: 0)
        let resumed = try #require(try RunFolder.resume(run, description: description, model: try Tiny.model()))
        #expect(resumed.point.completedTask == 0 && resumed.point.rows.count == 1)
    }
}
