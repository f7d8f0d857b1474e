// EWC-LoRA on the tiny Llama: the penalty (λ/2)·Σ Ω (θ − θ*)² is zero at the anchors, quadratic in the distance,
// and its gradient matches finite differences; Ω accumulates the tasks' Fishers online (Ω ← γ·Ω + F).
import Foundation
import Testing
import SetaModels
import SetaTensor
@testable import SetaContinual

@Suite struct EWCTests {
    /// EWC attached to the tiny model with a random Ω ∈ [0, 1) and the anchors at the initial θ.
    static func anchored(seed: UInt64 = 5) throws -> EWCLoRA {
        let ewc = EWCLoRA()
        var rng = SeededRNG(seed: seed)
        ewc.attach(to: try Tiny.model(), taskCount: 2, rng: &rng)
        for o in ewc.omega { for i in 0..<o.count { o.data[i] = rng.uniform() } }
        for theta in ewc.trainableParameters { for i in 0..<theta.count { theta.data[i] = rng.normal() * 0.1 } }
        ewc.anchors = ewc.trainableParameters.map { $0.copy() }
        return ewc
    }

    /// θ ← θ* + s·δ for every LoRA tensor.
    static func move(_ ewc: EWCLoRA, by s: Float, along deltas: [[Float]]) {
        for (k, theta) in ewc.trainableParameters.enumerated() {
            for i in 0..<theta.count { theta.data[i] = ewc.anchors[k].data[i] + s * deltas[k][i] }
        }
    }

    @Test func penaltyIsZeroAtTheAnchorAndGrowsQuadratically() throws {
        let ewc = try Self.anchored()
        #expect(ewc.penalty().values[0] == 0)
        var rng = SeededRNG(seed: 9)
        let deltas = ewc.trainableParameters.map { t in (0..<t.count).map { _ in rng.normal() * 0.05 } }
        // Σ Ω δ², in double.
        var expected = 0.0
        for (k, o) in ewc.omega.enumerated() { for i in 0..<o.count { expected += Double(o.data[i]) * Double(deltas[k][i] * deltas[k][i]) } }
        Self.move(ewc, by: 1, along: deltas)
        let unit = Double(ewc.penalty().values[0])
        #expect(unit > 0 && abs(unit - expected) <= 1e-5 * expected)
        for s: Float in [0.5, 2, 3] {
            Self.move(ewc, by: s, along: deltas)
            let p = Double(ewc.penalty().values[0])
            #expect(abs(p - Double(s * s) * unit) <= 1e-4 * Double(s * s) * unit, "s = \(s): \(p) vs \(Double(s * s) * unit)")
        }
    }

    @Test func penaltyGradientMatchesFiniteDifferences() throws {
        let ewc = try Self.anchored()
        var rng = SeededRNG(seed: 13)
        Self.move(ewc, by: 1, along: ewc.trainableParameters.map { t in (0..<t.count).map { _ in rng.normal() * 0.05 } })
        ewc.trainableParameters.forEach { $0.zeroGrad() }
        ewc.penalty().backward()
        let h: Float = 1e-2
        for (k, theta) in ewc.trainableParameters.enumerated() {
            let g = try #require(theta.grad)
            for _ in 0..<12 {
                let i = Int(rng.next() % UInt64(theta.count)), saved = theta.data[i]
                theta.data[i] = saved + h; let plus = Double(ewc.penalty().values[0])
                theta.data[i] = saved - h; let minus = Double(ewc.penalty().values[0])
                theta.data[i] = saved
                let numeric = Float((plus - minus) / Double(2 * h))
                let analytic = 2 * ewc.omega[k].data[i] * (saved - ewc.anchors[k].data[i])   // ∂/∂θ Ω (θ − θ*)²
                #expect(abs(g.data[i] - numeric) <= 1e-3 + 1e-2 * abs(numeric), "tensor \(k)[\(i)]: \(g.data[i]) vs \(numeric)")
                #expect(abs(g.data[i] - analytic) <= 1e-6 + 1e-5 * abs(analytic))
            }
        }
    }

    @Test func omegaIsTheOnlineSumOfFishersAndTheLossAddsTheScaledPenalty() throws {
        let lm = try Tiny.model()
        var options = EWCLoRA.Options()
        options.gamma = 0.5
        options.lambda = 100
        let ewc = EWCLoRA(options: options)
        let trainer = ContinualTrainer(model: lm, strategy: ewc, tasks: Tiny.tasks(count: 2), options: Tiny.options(),
                                       modelName: "tiny", benchmark: nil)
        var rng = SeededRNG(seed: 3)
        ewc.attach(to: lm, taskCount: 2, rng: &rng)
        for b in ewc.lora.adapters.map(\.lora.b) { for i in 0..<b.count { b.data[i] = rng.normal() * 0.05 } }   // B ≠ 0: A gets gradients too
        let context = TrainingContext(model: lm, options: Tiny.options(), tasks: trainer.tasks, rng: rng.fork())
        let batch = Array(trainer.tasks[0].train.prefix(4))
        #expect(ewc.loss(batch, task: 0, context: context).values[0] == context.languageModelLoss(batch).values[0])  // Ω = 0
        // 64 Fisher examples ≥ the task's 16: both consolidations see every example, so F is the same (up to order).
        ewc.endTask(0, context: context)
        let first = ewc.omega.map(\.values)
        #expect(first.allSatisfy { $0.allSatisfy { $0 >= 0 } } && first.allSatisfy { $0.contains { $0 > 0 } })
        ewc.endTask(0, context: context)
        var worst: Float = 0                                             // relative error of Ω against 1.5·F
        for (o, f) in zip(ewc.omega, first) {
            for i in 0..<o.count { worst = max(worst, abs(o.data[i] - 1.5 * f[i]) / max(1.5 * f[i], 1e-12)) }
        }
        #expect(worst <= 1e-4, "Ω ← 0.5·F + F")
        #expect(ewc.consolidatedTasks == 2)
        #expect(zip(ewc.anchors, ewc.trainableParameters).allSatisfy { $0.values == $1.values })
        // Away from the anchors the loss is the LM loss plus (λ/2)·penalty.
        for theta in ewc.trainableParameters { for i in 0..<theta.count { theta.data[i] += 0.01 * Float(i % 3 - 1) } }
        let loss = ewc.loss(batch, task: 1, context: context).values[0]
        let expected = context.languageModelLoss(batch).values[0] + 50 * ewc.penalty().values[0]
        #expect(ewc.penalty().values[0] > 0 && abs(loss - expected) <= 1e-5 * abs(expected))
    }
}
