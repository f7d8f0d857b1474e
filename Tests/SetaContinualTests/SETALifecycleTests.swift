// SETA's lifecycle on a tiny Llama (the transformers-saved tiny-llama fixture): anchoring, gate expansion,
// frozen earlier experts, checkpoints, and the trainer's accuracy matrix.
import Foundation
import Testing
import SetaData
import SetaExperts
import SetaMetrics
import SetaModels
import SetaTensor
@testable import SetaContinual

enum Tiny {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../SetaModelsTests/Fixtures/tiny-llama").standardized

    static func model() throws -> LanguageModel { try LanguageModel.load(huggingFaceFolder: folder) }

    /// Three tiny tasks that ask different questions about the same kind of input.
    static func tasks(count: Int = 3) -> [TaskData] {
        let labels = [["ab", "cd"], ["ef", "gh"], ["ij", "kl"]]
        return (0..<count).map { t in
            func examples(_ n: Int, offset: Int) -> [Example] {
                (0..<n).map { i in
                    let x = (i + offset) % 7
                    let label = labels[t][x % 2]
                    return Example(prefix: "task question \(t == 0 ? "one" : t == 1 ? "two" : "three")\n", input: "value \(x)",
                                   suffix: "\nAnswer:", target: " " + label, references: [label])
                }
            }
            return TaskData(name: "t\(t)", kind: .classification, labels: labels[t], train: examples(16, offset: 0),
                            test: examples(6, offset: 3), skippedRows: 0, source: "tiny")
        }
    }

    static func options() -> TrainingOptions {
        var o = TrainingOptions()
        o.trainPerTask = nil; o.testPerTask = nil; o.epochs = 1; o.batchSize = 4; o.learningRate = 1e-2
        return o
    }

    static func seta() -> SETA {
        var o = SETA.Options()
        o.probeBatches = 2; o.fisherExamples = 4
        return SETA(options: o)
    }
}

@Suite struct SETALifecycleTests {
    @Test func anchoringPenaltyIsPositiveAfterTheFirstTaskAndItsGradientIsCorrect() throws {
        let lm = try Tiny.model()
        let seta = Tiny.seta()
        let trainer = ContinualTrainer(model: lm, strategy: seta, tasks: Tiny.tasks(count: 2), options: Tiny.options(),
                                       modelName: "tiny", benchmark: nil)
        var rng = SeededRNG(seed: 3)
        seta.attach(to: lm, taskCount: 2, rng: &rng)
        let context = TrainingContext(model: lm, options: Tiny.options(), tasks: trainer.tasks, rng: rng.fork())
        seta.beginTask(0, context: context)
        #expect(seta.anchoringPenalty(task: 0) == nil)                      // first task: every block free
        let opt = AdamW(parameters: seta.trainableParameters, config: AdamWConfig(learningRate: 1e-2))
        for batch in context.batches(of: trainer.tasks[0], size: 4, rng: &rng) {
            opt.zeroGrad(); seta.loss(batch, task: 0, context: context).backward(); opt.update()
        }
        seta.endTask(0, context: context)
        seta.beginTask(1, context: context)
        // Find an anchored block, move it away from its anchor: the penalty becomes positive.
        let (p, b) = try #require(seta.states[1].enumerated().lazy.compactMap { p, s in s.firstIndex(of: .shared).map { (p, $0) } }.first)
        let theta = seta.pools[p].sharedA[b]
        #expect(abs(seta.anchoringPenalty(task: 1)!.values[0]) < 1e-12)     // at the anchor
        for i in 0..<theta.count { theta.data[i] += 0.01 * Float(i % 5 - 2) }
        let penalty = try #require(seta.anchoringPenalty(task: 1))
        #expect(penalty.values[0] > 0)
        // Gradient: ∂/∂θ Σ Ω̂ (θ − θ*)² = 2 Ω̂ (θ − θ*).
        theta.zeroGrad()
        penalty.backward()
        let g = try #require(theta.grad)
        for i in 0..<theta.count {
            let block = seta.blocks[p][b]
            let expected = 2 * block.normalisedOmega.a.data[i] * (theta.data[i] - block.anchor.a.data[i])
            #expect(abs(g.data[i] - expected) <= 1e-5 * max(1, abs(expected)))
        }
    }

    @Test func gateExpandsAndEarlierExpertsStayBitIdentical() throws {
        let lm = try Tiny.model()
        let seta = Tiny.seta()
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("seta-lifecycle-\(UUID().uuidString)")
        let trainer = ContinualTrainer(model: lm, strategy: seta, tasks: Tiny.tasks(), options: Tiny.options(),
                                       modelName: "tiny", benchmark: nil)
        let results = try trainer.run(checkpoints: run)
        #expect(seta.gate.taskCount == 3 && seta.pools.allSatisfy { $0.unique.count == 3 })
        // Task 0's expert as stored after task 0 equals the live one after task 2, bit for bit.
        let first = try CheckpointWriter.read(run.appendingPathComponent("task-0"))
        for pool in seta.pools {
            let stored = try #require(first.tensors["\(pool.name).unique.0.B"])
            #expect(stored.values.map(\.bitPattern) == pool.unique[0].b.values.map(\.bitPattern))
            #expect(first.tensors["\(pool.name).unique.0.A"]!.values.map(\.bitPattern) == pool.unique[0].a.values.map(\.bitPattern))
        }
        // The gate's stored statistics of task 0 are unchanged too.
        #expect(first.float64["gate.means"]!.values == Array(seta.gate.means.flatMap { $0 }.prefix(seta.gate.dimension)))
        // The trainer filled the whole matrix, the zero-shot row and the routing accuracy.
        #expect(results.matrix.count == 3 && results.matrix.allSatisfy { $0.count == 3 })
        #expect(results.zeroShot?.count == 3 && results.routingAccuracy != nil)
        #expect(results.params?.storedAfterTask.count == 3)
        #expect(results.sharedUtilisation?.sharedUpdateShare.count == 3)
    }

    @Test func nearestInitCopiesTheExpertTheGatePicksAndLeavesItFrozen() throws {
        let lm = try Tiny.model()
        var o = SETA.Options()
        o.probeBatches = 2; o.fisherExamples = 4; o.uniqueInit = .nearest
        let seta = SETA(options: o)
        let tasks = Tiny.tasks(count: 2)
        let trainer = ContinualTrainer(model: lm, strategy: seta, tasks: tasks, options: Tiny.options(), modelName: "tiny", benchmark: nil)
        var rng = SeededRNG(seed: 5)
        seta.attach(to: lm, taskCount: 2, rng: &rng)
        let context = TrainingContext(model: lm, options: Tiny.options(), tasks: trainer.tasks, rng: rng.fork())
        seta.beginTask(0, context: context)
        #expect(seta.initialisedFrom == [nil])                               // nothing to copy from: B = 0
        #expect(seta.pools.allSatisfy { $0.unique[0].b.values.allSatisfy { $0 == 0 } })
        let opt = AdamW(parameters: seta.trainableParameters, config: AdamWConfig(learningRate: 1e-2))
        for batch in context.batches(of: trainer.tasks[0], size: 4, rng: &rng) {
            opt.zeroGrad(); seta.loss(batch, task: 0, context: context).backward(); opt.update()
        }
        seta.endTask(0, context: context)
        let first = seta.pools.map { ($0.unique[0].a.values, $0.unique[0].b.values) }
        seta.beginTask(1, context: context)
        #expect(seta.initialisedFrom == [nil, 0])                           // one earlier expert: the gate's only choice
        for (pool, (a, b)) in zip(seta.pools, first) {
            #expect(pool.unique[1].a.values == a && pool.unique[1].b.values == b)
            #expect(pool.unique[1].a.storage !== pool.unique[0].a.storage)     // a copy, not a view
            #expect(!pool.unique[0].b.requiresGrad && pool.unique[1].b.requiresGrad)
        }
        // Training task 1 moves the copy only.
        let step = AdamW(parameters: seta.trainableParameters, config: AdamWConfig(learningRate: 1e-2))
        for batch in context.batches(of: trainer.tasks[1], size: 4, rng: &rng).prefix(2) {
            step.zeroGrad(); seta.loss(batch, task: 1, context: context).backward(); step.update()
        }
        for (pool, (a, b)) in zip(seta.pools, first) {
            #expect(pool.unique[0].a.values == a && pool.unique[0].b.values == b)
        }
        #expect(seta.pools.contains { $0.unique[1].b.values != $0.unique[0].b.values })
    }

    @Test func checkpointRoundTripsBitExactly() throws {
        let lm = try Tiny.model()
        let seta = Tiny.seta()
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("seta-ckpt-\(UUID().uuidString)")
        _ = try ContinualTrainer(model: lm, strategy: seta, tasks: Tiny.tasks(count: 2), options: Tiny.options(),
                                 modelName: "tiny", benchmark: nil).run(checkpoints: run)
        let saved = try CheckpointWriter.read(run.appendingPathComponent("task-1"))
        let restored = try SETA.restore(saved, model: try Tiny.model())
        let again = restored.checkpoint()
        #expect(Set(again.tensors.keys) == Set(saved.tensors.keys))
        for (name, t) in saved.tensors { #expect(again.tensors[name]!.values.map(\.bitPattern) == t.values.map(\.bitPattern), "\(name)") }
        for (name, d) in saved.float64 { #expect(again.float64[name]!.values == d.values && again.float64[name]!.shape == d.shape) }
        for key in ["states", "sensitivities", "trained_in_place_by", "update_shares", "gate_counts", "unique_splits", "initialised_from", "config"] {
            #expect(again.manifest[key] == saved.manifest[key], "\(key)")
        }
        // The restored gate routes exactly as the original.
        let prompt = lm.encode("task question two\nvalue 3\nAnswer:")
        #expect(restored.route(prompts: [prompt], model: lm) == seta.route(prompts: [prompt], model: lm))
    }

    @Test func seqLoRAThroughTheSameTrainer() throws {
        let lm = try Tiny.model()
        let results = try ContinualTrainer(model: lm, strategy: SeqLoRA(), tasks: Tiny.tasks(count: 2), options: Tiny.options(),
                                           modelName: "tiny", benchmark: nil).run()
        #expect(results.method == "seq-lora" && results.matrix.count == 2)
        #expect(results.routingAccuracy == nil && results.sharedUtilisation == nil)
        #expect(results.metrics.bwt != nil && results.metrics.aa != nil)
    }
}
