// Independent experts + gate, PerTask-LoRA (oracle task id) and MTL-LoRA (joint training) on the tiny Llama and
// stream: what defines each — linear growth with frozen earlier experts, the true id at evaluation, all tasks in
// one stage — and a checkpoint that restores bit-exactly.
import Foundation
import Testing
import SetaExperts
import SetaMetrics
import SetaModels
import SetaTensor
@testable import SetaContinual

@Suite struct UpperBoundTests {
    static func run(_ strategy: ContinualStrategy, tasks: Int = 3, onBatch: ((Int, Int, [PreparedExample]) -> Void)? = nil) throws -> (RunResults, URL) {
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("seta-upper-\(UUID().uuidString)")
        let trainer = ContinualTrainer(model: try Tiny.model(), strategy: strategy, tasks: Tiny.tasks(count: tasks),
                                       options: Tiny.options(), modelName: "tiny", benchmark: nil)
        trainer.onBatch = onBatch
        return (try trainer.run(checkpoints: RunFolder.checkpoints(run)), run)
    }

    @Test func independentExpertsGrowLinearlyAndEarlierOnesStayFrozen() throws {
        let strategy = IndependentExperts()
        let (results, run) = try Self.run(strategy)
        defer { try? FileManager.default.removeItem(at: run) }
        let stored = try #require(results.params?.storedAfterTask)
        #expect(stored.count == 3 && stored[2] - stored[1] == stored[1] - stored[0] && stored[1] > stored[0])
        #expect(results.params?.independentEquivalent == stored)                       // its own reference
        #expect(results.routingAccuracy != nil && results.matrix.count == 3)
        // Task 0's expert after task 2 is the one stored after task 0, bit for bit.
        let first = try CheckpointWriter.read(RunFolder.checkpoints(run).appendingPathComponent("task-0"))
        for (name, _, experts) in strategy.projections {
            #expect(first.tensors["\(name).task0.lora_B.weight"]!.values.map(\.bitPattern) == experts.experts[0].b.values.map(\.bitPattern))
            #expect(experts.experts.count == 3 && experts.experts[0].rank == 16)
        }
        // Restores through the run folder into the same experts and gate.
        let description = RunDescription(model: "tiny", method: "independent", tasks: ["t0", "t1", "t2"], benchmark: nil, seed: 0)
        let lm = try Tiny.model()
        let restored = try RunFolder.restoreStrategy(run, description: description, model: lm)
        #expect(restored.name == "independent" && restored.storedParameterCount == strategy.storedParameterCount)
        let prompt = lm.encode("task question two\nvalue 3\nAnswer:")
        #expect(restored.route(prompts: [prompt], model: lm) == strategy.route(prompts: [prompt], model: lm))
    }

    @Test func perTaskUsesTheTrueTaskIdAtEvaluation() throws {
        let strategy = PerTaskLoRA()
        let (results, run) = try Self.run(strategy, tasks: 2)
        defer { try? FileManager.default.removeItem(at: run) }
        #expect(results.method == "per-task" && results.routingAccuracy == nil)       // no gate decision to score
        let lm = try Tiny.model()
        let prompts = [lm.encode("task question one\nvalue 3\nAnswer:"), lm.encode("task question two\nvalue 4\nAnswer:")]
        // Whatever the prompts say, evaluating task j routes every prompt to expert j.
        for j in 0..<2 {
            #expect(strategy.route(prompts: prompts, evaluating: j, model: lm) == nil)
            #expect(strategy.routing.weights == Array(repeating: (0..<2).map { $0 == j ? 1 : 0 }, count: 2))
        }
        _ = strategy.route(prompts: prompts, evaluating: 2, model: lm)                 // not trained yet: bare model
        #expect(strategy.routing.weights.isEmpty)
        // Without a task id (seta predict) it routes with the gate, as independent experts do.
        #expect(strategy.route(prompts: prompts, model: lm)?.count == 2)
        let description = RunDescription(model: "tiny", method: "per-task", tasks: ["t0", "t1"], benchmark: nil, seed: 0)
        let restored = try RunFolder.restoreStrategy(run, description: description, model: try Tiny.model())
        #expect(restored is PerTaskLoRA && restored.storedParameterCount == strategy.storedParameterCount)
    }

    @Test func mtlSeesAllTasksAtOnceAndHasOneRow() throws {
        var stages = Set<Int>(), mixedBatches = 0, examples = 0
        let (results, run) = try Self.run(MultiTaskLoRA()) { stage, _, batch in
            stages.insert(stage)
            examples += batch.count
            let questions = Set(batch.map { $0.example.prompt.split(separator: "\n")[0] })
            if questions.count > 1 { mixedBatches += 1 }
        }
        defer { try? FileManager.default.removeItem(at: run) }
        #expect(stages == [0] && examples == 3 * 16)                                   // one stage, every example once
        #expect(mixedBatches > 0)                                                       // tasks shuffled together
        #expect(results.matrix.count == 1 && results.matrix[0].count == 3)
        #expect(results.metrics.bwt == nil && results.metrics.fwt == nil && results.metrics.forgetting == nil)
        #expect(abs(results.metrics.aa! - results.matrix[0].reduce(0, +) / 3) < 1e-9)
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: RunFolder.checkpoints(run).path)
        #expect(checkpoints.filter { $0.hasPrefix("task-") } == ["task-0"])
        let description = RunDescription(model: "tiny", method: "mtl", tasks: ["t0", "t1", "t2"], benchmark: nil, seed: 0)
        let restored = try RunFolder.restoreStrategy(run, description: description, model: try Tiny.model())
        #expect(restored.name == "mtl" && restored.trainsJointly)
    }
}

@Suite struct ZeroShotCacheTests {
    /// The zero-shot row comes from the cache on a second run of the same model and test prompts (no zero-shot
    /// evaluation happens), the results are identical, and other test prompts miss.
    @Test func aSecondRunReusesTheRowAndOtherPromptsMiss() throws {
        final class Memory { var rows: [String: [Double]] = [:]; var loads = 0 }
        let memory = Memory()
        let cache = ZeroShotCache(modelIdentity: "tiny", load: { memory.loads += 1; return memory.rows[$0] },
                                  save: { memory.rows[$0] = $1 })
        func run(testPerTask: Int?) throws -> (RunResults, zeroShotEvents: Int) {
            var options = Tiny.options()
            options.testPerTask = testPerTask
            let trainer = ContinualTrainer(model: try Tiny.model(), strategy: SeqLoRA(), tasks: Tiny.tasks(count: 2),
                                           options: options, modelName: "tiny", benchmark: nil)
            trainer.zeroShotCache = cache
            var events = 0
            let results = try trainer.run { if case .zeroShot = $0 { events += 1 } }
            return (results, events)
        }
        let (first, firstEvents) = try run(testPerTask: nil)
        let (second, secondEvents) = try run(testPerTask: nil)
        #expect(firstEvents == 2 && secondEvents == 0 && memory.rows.count == 1)
        #expect(second.zeroShot == first.zeroShot && second.matrix == first.matrix)
        let (_, otherEvents) = try run(testPerTask: 3)                                  // other prompts: a miss
        #expect(otherEvents == 2 && memory.rows.count == 2)
    }
}
