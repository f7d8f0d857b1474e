// Split-on-Share (SETA.md step 3) across several tasks, against one small reference of the rule written from the
// text (update it when the SETA-claims issue changes the rule):
//   first task (Ω = 0 everywhere): every block free;
//   then s_b < τ_s → frozen; otherwise split when b matters to earlier tasks, else shared, where "matters" is
//     percentile rule: Ω_b ≥ τ_Ω (and Ω_b > 0: a block nothing relied on has nothing to protect);
//     dynamic rule:    q_b > multiple × the mean of every q of this matrix so far (this task's included), where
//                      q_b = (s_b / mean of this task's s) · (Ω_b / mean of this task's Ω) over the matrix's blocks;
//   τ_s, τ_Ω = percentiles of this task's s and Ω over the matrix's blocks (linear interpolation, as numpy).
import Foundation
import Testing
import SetaExperts
import SetaTensor
@testable import SetaContinual

/// The rule for one matrix over a stream of tasks: states per task.
func referenceSplitStates(_ tasks: [(s: [Double], omega: [Double])], _ options: SplitOnShareOptions) -> [[BlockState]] {
    func quantile(_ xs: [Double], _ p: Double) -> Double {
        let x = xs.sorted(), h = Double(x.count - 1) * p / 100, i = Int(h)
        return i + 1 < x.count ? x[i] + (h - Double(i)) * (x[i + 1] - x[i]) : x[i]
    }
    var products: [Double] = []
    return tasks.map { s, omega in
        if omega.allSatisfy({ $0 == 0 }) { return s.map { _ in .free } }
        let meanS = s.reduce(0, +) / Double(s.count), meanOmega = omega.reduce(0, +) / Double(omega.count)
        let q = s.indices.map { (s[$0] / meanS) * (omega[$0] / meanOmega) }
        products += q
        let tauS = quantile(s, options.sensitivityPercentile), tauOmega = quantile(omega, options.importancePercentile)
        let bar = options.dynamicMultiple * products.reduce(0, +) / Double(products.count)
        return s.indices.map { b in
            guard s[b] >= tauS else { return .frozen }
            let matters = options.rule == .percentile ? omega[b] >= tauOmega : q[b] > bar
            return matters && omega[b] > 0 ? .split : .shared
        }
    }
}

@Suite struct SplitRuleMathTests {
    /// Five tasks of 8 blocks: s drawn per task, Ω a growing sum of per-task "Fishers" (as in a run).
    func syntheticStream(seed: UInt64) -> [(s: [Double], omega: [Double])] {
        var rng = SeededRNG(seed: seed)
        var omega = [Double](repeating: 0, count: 8)
        return (0..<5).map { _ in
            let s = (0..<8).map { _ in Double(abs(rng.normal())) }
            defer { omega = omega.map { $0 + Double(abs(rng.normal())) } }
            return (s, omega)
        }
    }

    func decide(_ stream: [(s: [Double], omega: [Double])], _ options: SplitOnShareOptions) -> [[BlockState]] {
        var running = RunningProduct()
        return stream.map { splitOnShare(sensitivity: $0.s, importance: $0.omega, options: options, running: &running) }
    }

    @Test func splitPercentileRuleAcrossTasksMatchesTheReference() {
        for seed: UInt64 in 1...20 {
            for (tauS, tauOmega) in [(50.0, 75.0), (25.0, 50.0), (0.0, 90.0)] {
                var o = SplitOnShareOptions()
                o.sensitivityPercentile = tauS; o.importancePercentile = tauOmega
                let stream = syntheticStream(seed: seed)
                #expect(decide(stream, o) == referenceSplitStates(stream, o), "seed \(seed) τ_s \(tauS) τ_Ω \(tauOmega)")
            }
        }
    }

    @Test func splitDynamicRuleAcrossTasksMatchesTheReference() {
        for seed: UInt64 in 1...20 {
            for multiple in [0.5, 1, 2] {
                var o = SplitOnShareOptions()
                o.rule = .dynamic; o.dynamicMultiple = multiple
                let stream = syntheticStream(seed: seed)
                #expect(decide(stream, o) == referenceSplitStates(stream, o), "seed \(seed) multiple \(multiple)")
            }
        }
    }

    @Test func splitDynamicRunningMeanPoolsEveryEarlierTaskKnownAnswer() {
        var o = SplitOnShareOptions()
        o.rule = .dynamic; o.dynamicMultiple = 1.5
        let stream: [(s: [Double], omega: [Double])] = [
            ([1, 2, 3, 4], [0, 0, 0, 0]),   // first task: all free; its products do not join the mean
            // q = (s / 2.5)(Ω / 1) = [1.6, 1.2, 0.8, 0.4], mean 1, bar 1.5; τ_s = 2.5 → split, shared, frozen, frozen
            ([4, 3, 2, 1], [1, 1, 1, 1]),
            // q = (s / 2.5)(Ω / 1.5) = [8, 4, 32, 16] / 15; mean of all 8 = 1, bar 1.5; τ_s = 2.5 → 32/15 splits,
            // 16/15 shares
            ([1, 1, 4, 4], [2, 1, 2, 1]),
        ]
        let expected: [[BlockState]] = [[.free, .free, .free, .free], [.split, .shared, .frozen, .frozen], [.frozen, .frozen, .split, .shared]]
        #expect(decide(stream, o) == expected)
        #expect(referenceSplitStates(stream, o) == expected)
        var running = RunningProduct()
        for task in stream { _ = splitOnShare(sensitivity: task.s, importance: task.omega, options: o, running: &running) }
        #expect(abs(running.sum - 8) < 1e-12 && running.count == 8)
    }

    /// The dynamic rule is on one scale: multiplying a task's sensitivities or importances by any positive factor
    /// (|θ| growing as blocks train, Ω a growing sum of Fishers) leaves every decision as it was.
    @Test func splitDynamicRuleIgnoresTheScaleOfEachTasksScores() {
        var o = SplitOnShareOptions()
        o.rule = .dynamic; o.dynamicMultiple = 1.2
        for seed: UInt64 in 1...20 {
            let stream = syntheticStream(seed: seed)
            let scaled = stream.enumerated().map { t, task in
                (s: task.s.map { $0 * pow(3, Double(t)) }, omega: task.omega.map { $0 * pow(10, Double(t)) })
            }
            #expect(decide(stream, o) == decide(scaled, o), "seed \(seed)")
        }
    }

    /// SETA applies the rule: a run's recorded states equal the reference on its recorded s and Ω_b, task by task.
    @Test(arguments: [SplitOnShareOptions.Rule.percentile, .dynamic])
    func splitStatesOfATinyRunFollowTheReference(rule: SplitOnShareOptions.Rule) throws {
        let run = try SteppedRun { $0.split.rule = rule; $0.split.dynamicMultiple = 1 }
        var importances: [[[Double]]] = []              // [task][pool][block]: Ω_b when the task began
        for t in 0..<3 {
            importances.append(run.seta.omega.map { $0.map { block in
                Double((block.a.values + block.b.values).reduce(0, +)) / Double(block.a.count + block.b.count) } })
            run.seta.beginTask(t, context: run.context); run.train(t, steps: 2); run.seta.endTask(t, context: run.context)
        }
        for p in run.seta.pools.indices {
            let stream = (0..<3).map { (s: run.seta.sensitivities[$0][p], omega: importances[$0][p]) }
            #expect((0..<3).map { run.seta.states[$0][p] } == referenceSplitStates(stream, run.seta.options.split), "pool \(p)")
        }
        #expect(run.seta.states.dropFirst().joined().joined().contains(.split))
    }
}
