// SETA's importance Ω (SETA.md step 5) and its normalisation (step 4):
//   Ω ← γ Ω + F after every task, on every shared block — F = 0 on a block the task split (it trained a copy),
//   so there Ω only decays;
//   Ω̂ = Ω / mean(Ω over the adapted matrix) = Ω · count / total, per pool, fixed during a task.
import Foundation
import Testing
import SetaExperts
import SetaTensor
@testable import SetaContinual

@Suite struct OmegaMathTests {
    func snapshot(_ omega: [[(a: Tensor, b: Tensor)]]) -> [[(a: [Float], b: [Float])]] {
        omega.map { $0.map { ($0.a.values, $0.b.values) } }
    }

    @Test func omegaDecaysByGammaAndAddsTheFisherOnEveryBlockButTheSplitOnes() throws {
        let gamma: Float = 0.5
        let run = try SteppedRun { $0.gamma = gamma; $0.split.importancePercentile = 50 }
        run.complete(tasks: 1)
        let before = snapshot(run.seta.omega)
        #expect(before.allSatisfy { $0.allSatisfy { $0.a.contains { $0 > 0 } || $0.b.contains { $0 > 0 } } })
        run.seta.beginTask(1, context: run.context)
        run.train(1, steps: 3)
        let split = run.blocks(.split, task: 1)
        try #require(!split.isEmpty && !run.blocks(.shared, task: 1).isEmpty && !run.blocks(.frozen, task: 1).isEmpty)
        // The Fisher diagonal endTask computes: endTask forks the context's RNG, so a copy of it forks the same stream.
        var copy = run.context.rng
        var fisherRNG = copy.fork()
        let fisher = run.seta.fisherDiagonal(1, context: run.context, rng: &fisherRNG)
        run.seta.endTask(1, context: run.context)
        for (p, pool) in run.seta.pools.enumerated() {
            for b in 0..<pool.shape.blocks {
                let isSplit = split.contains { $0 == (p, b) }
                let f = isSplit ? nil : fisher[p][b]
                let expectedA = before[p][b].a.enumerated().map { i, o in gamma * o + (f?.a.data[i] ?? 0) }
                let expectedB = before[p][b].b.enumerated().map { i, o in gamma * o + (f?.b.data[i] ?? 0) }
                #expect(run.seta.omega[p][b].a.values == expectedA && run.seta.omega[p][b].b.values == expectedB,
                        "pool \(p) block \(b) (\(run.seta.states[1][p][b]))")
            }
        }
        // On the split blocks Ω really decayed (it was positive), and there F is not 0 by accident everywhere else.
        for (p, b) in split { #expect(run.seta.omega[p][b].b.values != before[p][b].b) }
        #expect(fisher.contains { $0.contains { $0.b.values.contains { $0 > 0 } } })
    }

    @Test func omegaNormalisedIsOmegaOverItsMeanInEachPool() throws {
        let run = try SteppedRun()
        run.complete(tasks: 2)
        run.seta.beginTask(2, context: run.context)
        var totals: [Double] = []
        for (p, blocks) in run.seta.omega.enumerated() {
            let values = blocks.flatMap { $0.a.values + $0.b.values }.map(Double.init)
            let mean = values.reduce(0, +) / Double(values.count)
            totals.append(mean)
            let expected = values.map { $0 / mean }
            let normalised = run.seta.normalisedOmega[p].flatMap { $0.a.values + $0.b.values }.map(Double.init)
            #expect(close(normalised, expected, 1e-5), "pool \(p)")
            #expect(abs(normalised.reduce(0, +) / Double(normalised.count) - 1) < 1e-5)
        }
        // Per pool, not over the whole model: the pools' means differ, so one global mean would not give these.
        #expect(Set(totals).count == totals.count && totals.max()! > 1.5 * totals.min()!)
    }
}
