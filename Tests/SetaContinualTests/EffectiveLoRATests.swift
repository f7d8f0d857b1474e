// The effective LoRA a strategy exports for task t computes what the strategy computes for task t: on every adapted
// projection its (α/r) · B A x equals the strategy's own adapter delta (SETA under the oracle route to t), after a
// 2-task tiny run; and for SETA, with a split block, the whole model's logits agree too.
import Foundation
import Testing
import SetaExperts
import SetaModels
import SetaTensor
@testable import SetaContinual

@Suite struct EffectiveLoRATests {
    /// `method` trained on 2 tiny tasks (no checkpoints written).
    static func trained(_ method: String) throws -> (model: LanguageModel, strategy: ContinualStrategy) {
        let lm = try Tiny.model()
        let strategy = Tiny.strategy(method)
        _ = try ContinualTrainer(model: lm, strategy: strategy, tasks: Tiny.tasks(count: 2), options: Tiny.options(),
                                 modelName: "tiny", benchmark: nil).run()
        return (lm, strategy)
    }

    /// Per adapted projection, max |strategy delta − exported LoRA delta| / max |strategy delta| on random inputs
    /// (the routing, if any, already set); also checks that every strategy delta is non-zero.
    static func worstRelativeDifference(_ lm: LanguageModel, _ export: PEFTAdapter) throws -> Float {
        let projections = Dictionary(uniqueKeysWithValues: lm.network.projections(TargetProjection.allCases).map { ($0.name, $0.linear) })
        var worst: Float = 0
        for (i, module) in export.modules.enumerated() {
            let linear = try #require(projections[module.name])
            let adapter = try #require(linear.adapter, "\(module.name) has no adapter")
            var rng = SeededRNG(seed: UInt64(i))
            let x = Tensor.uniform([5, linear.inFeatures], -1, 1, rng: &rng)               // (N, in)
            let own = adapter.delta(x).values                                                // (N, out)
            let exported = LoRA(a: module.a, b: module.b, scale: export.scale).delta(x).values
            let size = own.map(abs).max()!
            #expect(size > 1e-4, "\(module.name): the strategy's delta is ~0 (\(size))")
            worst = max(worst, zip(own, exported).map { abs($0 - $1) }.max()! / size)
        }
        return worst
    }

    @Test(arguments: ["seq-lora", "ewc", "replay", "inc-lora", "olora"])
    func baselinesExportTheirSummedLoRA(method: String) throws {
        let (lm, strategy) = try Self.trained(method)
        let export = try #require(strategy as? ExportsTaskLoRA).effectiveLoRA(task: 1)
        let summed = ["inc-lora", "olora"].contains(method)
        #expect(export.rank == (summed ? 16 : 8) && export.alpha == Double(2 * export.rank) && export.scale == 2)   // r 8, α 16 each
        #expect(export.modules.count == 4 && Set(export.targetModules) == ["q_proj", "v_proj"])
        let worst = try Self.worstRelativeDifference(lm, export)
        #expect(worst <= 1e-5, "\(method): relative |Δ delta| = \(worst)")
        // No gate: every task gets the same LoRA.
        let first = try #require(strategy as? ExportsTaskLoRA).effectiveLoRA(task: 0)
        #expect(zip(first.modules, export.modules).allSatisfy { $0.a.values == $1.a.values && $0.b.values == $1.b.values })
    }

    @Test(arguments: ["independent", "per-task", "mtl"])
    func upperBoundsExportTheLoRAOfTheTask(method: String) throws {
        let (lm, strategy) = try Self.trained(method)
        let exporter = try #require(strategy as? ExportsTaskLoRA)
        for t in 0..<2 {
            if let gated = strategy as? GatedStrategy { gated.routing.route(allTo: t, tasks: 2, sequences: 1) }
            let export = try exporter.effectiveLoRA(task: t)
            #expect(export.rank == (method == "mtl" ? 8 : 16) && export.scale == 2 && export.modules.count == 4)
            let worst = try Self.worstRelativeDifference(lm, export)
            #expect(worst <= 1e-5, "\(method), task \(t): relative |Δ delta| = \(worst)")
        }
        if method != "mtl" { #expect(throws: AdapterError.self) { _ = try exporter.effectiveLoRA(task: 2) } }
    }

    @Test func setaExportsSharedBlocksWithTheTasksCopiesAndItsUniqueExpert() throws {
        let (lm, strategy) = try Self.trained("seta")
        let seta = try #require(strategy as? SETA)
        // Make sure task 1 has a split block whose copy differs from the shared original.
        let pool = seta.pools[0]
        if pool.unique[1].splits.isEmpty {
            pool.split(block: 0, forTask: 1)
        }
        let copy = pool.unique[1].splits[0]
        var rng = SeededRNG(seed: 40)
        for t in [copy.a, copy.b] {
            let noise = Tensor.uniform(t.shape, -0.05, 0.05, rng: &rng)
            for j in 0..<t.count { t.data[j] += noise.data[j] }
        }
        let shape = seta.options.pool
        for t in 0..<2 {
            let export = try seta.effectiveLoRA(task: t)
            #expect(export.rank == shape.sharedRank + shape.uniqueRank && export.alpha == Double(shape.scale) * Double(export.rank))
            // Block b of the export: the shared original, or task t's copy for a block it split.
            let k = shape.blockRank, split = copy.block
            let rows = Array(export.modules[0].a.values[(split * k * 32)..<((split + 1) * k * 32)])
            let matches = rows == (t == 1 ? copy.a.values : pool.sharedA[split].values)
            #expect(matches, "block \(split) of task \(t) is not \(t == 1 ? "its copy" : "the shared block")")
            seta.routing.route(allTo: t, tasks: 2, sequences: 1)
            let worst = try Self.worstRelativeDifference(lm, export)
            #expect(worst <= 1e-5, "task \(t): relative |Δ delta| = \(worst)")
        }
        #expect(throws: AdapterError.self) { try seta.effectiveLoRA(task: 2) }

        // The whole model: SETA routed to task 1 against a fresh model carrying the export.
        let ids = [5, 17, 42, 99, 260, 7, 31]
        seta.routing.route(allTo: 1, tasks: 2, sequences: 1)
        let own = try lm.logits(ids: ids).values
        let fresh = try Tiny.model()
        try seta.effectiveLoRA(task: 1).attach(to: fresh.network)
        let exported = try fresh.logits(ids: ids).values
        let worst = zip(own, exported).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-4, "max |Δlogit| = \(worst)")
    }
}
