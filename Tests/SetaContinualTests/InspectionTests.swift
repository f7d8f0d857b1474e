// `seta inspect` in the library: the inspection of a tiny trained run agrees with the strategy it was built
// from (block states, unique experts, stored parameters, Ω, the gate's routing), rebuilds the trainer's own
// test prompts from the run's data, round-trips through JSON, and fails clearly on a folder that is no run.
import Foundation
import Testing
import SetaData
import SetaExperts
import SetaMetrics
import SetaModels
@testable import SetaContinual

/// A tiny run folder written as `seta train` writes it (run.json, checkpoints, results.json).
private struct TinyRun {
    let folder: URL, description: RunDescription, trainer: ContinualTrainer, results: RunResults

    init(_ strategy: ContinualStrategy, tasks: [TaskData], options: TrainingOptions = Tiny.options(), benchmark: String? = nil) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("seta-inspect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        description = RunDescription(model: Tiny.folder.path, method: strategy.name, tasks: tasks.map(\.name),
                                     benchmark: benchmark, seed: options.seed)
        try RunFolder.writeDescription(description, to: folder)
        trainer = ContinualTrainer(model: try Tiny.model(), strategy: strategy, tasks: tasks, options: options,
                                   modelName: description.model, benchmark: benchmark)
        results = try trainer.run(checkpoints: RunFolder.checkpoints(folder))
        try results.write(to: folder.appendingPathComponent("results.json"))
    }
}

/// Two tasks as JSONL folders (a `--data DIR` stream), 12 test rows each so that a test subset is a real choice.
private func jsonlTasks() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("seta-inspect-data-\(UUID().uuidString)")
    for (t, (question, labels)) in [("one", ["ab", "cd"]), ("two", ["ef", "gh"])].enumerated() {
        let folder = dir.appendingPathComponent("t\(t)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func rows(_ n: Int, offset: Int) -> String {
            (0..<n).map { i in
                let row = ["prompt": "task \(question) value \(i + offset), then words the limit cuts off\nAnswer:", "completion": " " + labels[(i + offset) % 2]]
                return String(decoding: try! JSONSerialization.data(withJSONObject: row, options: [.sortedKeys]), as: UTF8.self)
            }.joined(separator: "\n") + "\n"
        }
        try rows(16, offset: 0).write(to: folder.appendingPathComponent("train.jsonl"), atomically: true, encoding: .utf8)
        try rows(12, offset: 20).write(to: folder.appendingPathComponent("test.jsonl"), atomically: true, encoding: .utf8)
    }
    return dir
}

@Suite struct InspectionTests {
    @Test func inspectionOfATinySETARunAgreesWithTheStrategy() throws {
        let run = try TinyRun(Tiny.seta(), tasks: Tiny.tasks())
        let lm = try Tiny.model()
        let seta = try #require(try RunFolder.restoreStrategy(run.folder, description: run.description, model: lm) as? SETA)
        let prompts = run.trainer.tasks.map { $0.test.map(\.promptIds) }
        let inspection = RunInspection(strategy: seta, description: run.description, tasksCompleted: 3, model: lm,
                                       testPrompts: InspectionPrompts(prompts: prompts, source: "the trainer's"),
                                       recordedRoutingAccuracy: run.results.routingAccuracy)

        // Block states: one row per task, one state per block, the strategy's own decisions; totals add up.
        #expect(inspection.pools.count == seta.pools.count && inspection.tasksCompleted == 3)
        for (p, pool) in inspection.pools.enumerated() {
            let live = seta.pools[p]
            #expect(pool.name == live.name && pool.layer == p / 2 && pool.projection == (p % 2 == 0 ? "q_proj" : "v_proj"))
            #expect(pool.blockCount == live.shape.blocks && pool.blockStates.count == 3)
            #expect(pool.blockStates == seta.states.map { $0[p] })
            // Unique experts: one per task seen, rank r_u plus k per block the task split.
            #expect(pool.uniqueRanks.count == 3 && pool.uniqueRanks == live.unique.map(\.rank))
            for t in 0..<3 {
                let splits = pool.blockStates[t].indices.filter { pool.blockStates[t][$0] == .split }
                #expect(pool.splitBlocks[t].sorted() == splits)
                #expect(pool.uniqueRanks[t] == live.shape.uniqueRank + live.shape.blockRank * splits.count)
            }
            #expect(pool.storedParameters == live.storedParameterCount)
            let omega = try #require(pool.omega)
            #expect(omega.blockMeans.count == live.shape.blocks && omega.parameters == live.shape.sharedRank * (live.inFeatures + live.outFeatures))
            #expect(abs(omega.mean - omega.blockMeans.reduce(0, +) / Double(omega.blockMeans.count)) <= 1e-9 * max(omega.max, 1))
            #expect(omega.max >= omega.mean && omega.mean > 0)
        }
        #expect(inspection.blockStateTotals.count == 3)
        for (t, totals) in inspection.blockStateTotals.enumerated() {
            let all = seta.states[t].joined()
            #expect(totals.total == seta.pools.reduce(0) { $0 + $1.shape.blocks })
            #expect(totals.split == all.filter { $0 == .split }.count && totals.frozen == all.filter { $0 == .frozen }.count)
            #expect(totals.free == all.filter { $0 == .free }.count && totals.shared == all.filter { $0 == .shared }.count)
        }
        #expect(inspection.blockStateTotals[0].free == inspection.blockStateTotals[0].total)   // the first task: all free

        // Stored parameters: the strategy's count (= results.json's), and its parts add up.
        let parameters = inspection.parameters
        #expect(parameters.total == seta.storedParameterCount && parameters.total == run.results.params?.storedAfterTask.last)
        #expect(parameters.shared + parameters.unique + parameters.gate == parameters.total)
        #expect(inspection.pools.reduce(0) { $0 + $1.storedParameters } + parameters.gate == parameters.total)
        #expect(parameters.independentEquivalent == run.results.params?.independentEquivalent.last)
        #expect(inspection.gate?.experts == 3 && inspection.gate?.examplesPerTask == [16, 16, 16])

        // Routing: rows sum to 1; each cell is the share of that task's prompts the gate sends to that expert.
        let routing = try #require(inspection.routing)
        #expect(routing.experts == ["t0", "t1", "t2"] && routing.prompts == [6, 6, 6])
        for (i, row) in routing.fractions.enumerated() {
            #expect(abs(row.reduce(0, +) - 1) < 1e-12)
            let chosen = try #require(seta.route(prompts: prompts[i], model: lm))
            for j in 0..<3 { #expect(row[j] == Double(chosen.filter { $0 == j }.count) / Double(chosen.count)) }
        }
        // The trainer routed the same prompts with the live strategy: the same accuracy.
        #expect(routing.accuracy == run.results.routingAccuracy && routing.recordedAccuracy == run.results.routingAccuracy)

        // JSON: snake_case keys, absent values as null, and a lossless round trip.
        let data = try inspection.jsonData()
        #expect(try JSONDecoder().decode(RunInspection.self, from: data) == inspection)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["benchmark"] is NSNull && object["tasks_completed"] as? Int == 3)
        let firstPool = try #require((object["pools"] as? [[String: Any]])?.first)
        #expect((firstPool["block_states"] as? [[String]])?.first?.allSatisfy { $0 == "free" } == true)
        for key in ["block_state_totals", "parameters", "omega", "gate", "routing", "shared_utilisation", "notes", "config"] {
            #expect(object.keys.contains(key), "\(key)")
        }
    }

    @Test func inspectRebuildsTheTrainersTestPromptsFromTheRunsData() throws {
        let data = try jsonlTasks()
        var options = Tiny.options()
        options.testPerTask = 5; options.maxPromptTokens = 16; options.seed = 7      // a seeded subset, truncated prompts
        let run = try TinyRun(Tiny.seta(), tasks: try TaskStream.load(dataDir: data, tasks: ["t0", "t1"]), options: options)

        // The prompts rebuilt from the data are the trainer's own, token for token (subset, order, truncation).
        let lm = try Tiny.model()
        #expect(lm.encode("task one value 20, then words the limit cuts off\nAnswer:").count > options.maxPromptTokens)
        #expect(Set(run.trainer.tasks[0].test.map(\.promptIds)).count == 5)
        let seta = try #require(run.trainer.strategy as? SETA)
        let rebuilt = try RunInspection.testPrompts(description: run.description, results: run.results, gateCounts: seta.gate.counts,
                                                    model: lm, options: InspectionOptions(dataFolder: data))
        #expect(rebuilt.prompts == run.trainer.tasks.map { $0.test.map(\.promptIds) })

        let inspection = try RunInspection.inspect(run: run.folder, options: InspectionOptions(dataFolder: data))
        let routing = try #require(inspection.routing)
        #expect(routing.prompts == [5, 5] && routing.source.contains("seeded subset of 5 (seed 7)"))
        #expect(routing.accuracy == run.results.routingAccuracy, "the same prompts as the trainer's evaluation")
        #expect(inspection.parameters.total == run.results.params?.storedAfterTask.last)
        #expect(inspection.notes.isEmpty, "\(inspection.notes)")

        // Without the data folder (not recorded in run.json) the rest is still there, with a note saying why.
        let without = try RunInspection.inspect(run: run.folder)
        #expect(without.routing == nil && without.pools == inspection.pools)
        #expect(without.notes.contains { $0.contains("pass --data DIR") })
        #expect(try RunInspection.inspect(run: run.folder, options: InspectionOptions(routing: false, dataFolder: data)).routing == nil)
    }

    @Test func demoRunsRegenerateTheDemoTestPrompts() throws {
        var options = Tiny.options()
        options.seed = 3
        let run = try TinyRun(Tiny.seta(), tasks: DemoStream.tasks(seed: 3, trainPerTask: 6, testPerTask: RunInspection.demoTestPerTask),
                              options: options, benchmark: "demo")
        let seta = try #require(run.trainer.strategy as? SETA)
        let rebuilt = try RunInspection.testPrompts(description: run.description, results: run.results, gateCounts: seta.gate.counts,
                                                    model: try Tiny.model(), options: InspectionOptions())
        #expect(rebuilt.prompts == run.trainer.tasks.map { $0.test.map(\.promptIds) })
        let routing = try #require(try RunInspection.inspect(run: run.folder).routing)
        #expect(routing.prompts == [50, 50, 50, 50] && routing.tasks == DemoStream.specs.map(\.name))
        #expect(routing.accuracy == run.results.routingAccuracy)
    }

    @Test func seqLoRAHasAdaptersButNoGate() throws {
        let run = try TinyRun(SeqLoRA(), tasks: Tiny.tasks(count: 1))
        let inspection = try RunInspection.inspect(run: run.folder)
        #expect(inspection.method == "seq-lora" && inspection.pools.count == 4)
        #expect(inspection.pools.allSatisfy { $0.sharedRank == 8 && $0.blockStates.isEmpty && $0.omega == nil })
        #expect(inspection.pools.reduce(0) { $0 + $1.storedParameters } == inspection.parameters.total)
        #expect(inspection.parameters.total == run.results.params?.storedAfterTask.last)
        #expect(inspection.gate == nil && inspection.routing == nil && inspection.omega == nil)
        #expect(inspection.notes.contains { $0.contains("no gate") })
        let object = try #require(try JSONSerialization.jsonObject(with: inspection.jsonData()) as? [String: Any])
        #expect(object["routing"] is NSNull && object["gate"] is NSNull)
    }

    @Test func foldersThatAreNoRunOrHaveNoCheckpointAreClearErrors() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("seta-inspect-empty-\(UUID().uuidString)")
        #expect(throws: InspectionError.self) { try RunInspection.inspect(run: empty) }
        do { _ = try RunInspection.inspect(run: empty) } catch {
            #expect("\(error)".contains("is not a run folder") && "\(error)".contains(empty.path))
        }
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try RunFolder.writeDescription(RunDescription(model: Tiny.folder.path, method: "seta", tasks: ["a"], benchmark: nil, seed: 0), to: empty)
        do { _ = try RunInspection.inspect(run: empty); Issue.record("expected an error") } catch let error as InspectionError {
            #expect(error == .noCheckpoint(path: empty.path) && error.description.contains("no checkpoint yet"))
        }
    }
}
