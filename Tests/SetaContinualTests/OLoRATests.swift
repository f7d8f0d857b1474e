// O-LoRA's orthogonality loss on constructed A matrices, and IncLoRA / O-LoRA's per-task LoRAs: earlier ones frozen
// (bit-identical after later tasks) and summed.
import Foundation
import Testing
import SetaExperts
import SetaModels
import SetaTensor
@testable import SetaContinual

@Suite struct OLoRATests {
    /// Rows of an identity: e_i for i in `rows`, in a space of `dimension`.
    static func basisRows(_ rows: [Int], dimension: Int) -> Tensor {
        var values = [Float](repeating: 0, count: rows.count * dimension)
        for (r, i) in rows.enumerated() { values[r * dimension + i] = 1 }
        return Tensor(shape: [rows.count, dimension], values: values)
    }

    @Test func orthogonalityLossIsZeroForOrthogonalRowsAndPositiveOtherwise() {
        let earlier = Self.basisRows([0, 1], dimension: 4)                    // A_i: span{e0, e1}
        for norm in OLoRA.OrthogonalityNorm.allCases {
            #expect(OLoRA.orthogonality(earlier, Self.basisRows([2, 3], dimension: 4), norm: norm).values == [0])
            // A rotated orthogonal pair is still orthogonal: rows (e2 + e3)/√2, (e2 − e3)/√2.
            let s = Float(0.5).squareRoot()
            let rotated = Tensor(shape: [2, 4], values: [0, 0, s, s, 0, 0, s, -s])
            #expect(abs(OLoRA.orthogonality(earlier, rotated, norm: norm).values[0]) < 1e-12)
        }
        // A_t = [[0.5, 0, 1, 0], [0, −2, 0, 1]]: A_i A_tᵀ = [[0.5, 0], [0, −2]].
        let overlapping = Tensor(shape: [2, 4], values: [0.5, 0, 1, 0, 0, -2, 0, 1])
        #expect(OLoRA.orthogonality(earlier, overlapping, norm: .squared).values == [4.25])   // 0.25 + 4
        #expect(OLoRA.orthogonality(earlier, overlapping, norm: .absolute).values == [2.5])   // 0.5 + 2
    }

    @Test func orthogonalityGradientMatchesFiniteDifferences() {
        var rng = SeededRNG(seed: 21)
        let earlier = Tensor.randn([6, 10], rng: &rng), current = Tensor.randn([4, 10], rng: &rng, requiresGrad: true)
        for norm in OLoRA.OrthogonalityNorm.allCases {
            current.zeroGrad()
            OLoRA.orthogonality(earlier, current, norm: norm).backward()
            let g = current.grad!.values
            let h: Float = 1e-3
            for i in 0..<current.count {
                let saved = current.data[i]
                current.data[i] = saved + h; let plus = Double(OLoRA.orthogonality(earlier, current, norm: norm).values[0])
                current.data[i] = saved - h; let minus = Double(OLoRA.orthogonality(earlier, current, norm: norm).values[0])
                current.data[i] = saved
                let numeric = Float((plus - minus) / Double(2 * h))
                #expect(abs(g[i] - numeric) <= 2e-2 + 1e-2 * abs(numeric), "\(norm) [\(i)]: \(g[i]) vs \(numeric)")
            }
        }
    }

    @Test func penaltyCoversEveryProjectionFromTheSecondTaskOn() throws {
        let lm = try Tiny.model()
        let olora = OLoRA()
        let trainer = ContinualTrainer(model: lm, strategy: olora, tasks: Tiny.tasks(count: 2), options: Tiny.options(),
                                       modelName: "tiny", benchmark: nil)
        var rng = SeededRNG(seed: 2)
        olora.attach(to: lm, taskCount: 2, rng: &rng)
        let context = TrainingContext(model: lm, options: Tiny.options(), tasks: trainer.tasks, rng: rng.fork())
        olora.beginTask(0, context: context)
        #expect(olora.orthogonalityPenalty(task: 0) == nil)
        olora.endTask(0, context: context)
        // A_0 = e0…e7 (set before task 1 stacks it), A_1 = e8…e15, on every projection (in = 32): orthogonal.
        let rank = olora.options.lora.rank
        for lora in olora.incremental.loras[0] {
            let rows = Self.basisRows(Array(0..<rank), dimension: lora.a.size(1)).values
            for i in rows.indices { lora.a.data[i] = rows[i] }
        }
        olora.beginTask(1, context: context)
        #expect(olora.trainableParameters.count == 2 * olora.incremental.projections.count)
        #expect(olora.trainableParameters.allSatisfy { t in olora.incremental.loras[1].contains { $0.a === t || $0.b === t } })
        for lora in olora.incremental.loras[1] {
            let rows = Self.basisRows(Array(rank..<(2 * rank)), dimension: lora.a.size(1)).values
            for i in rows.indices { lora.a.data[i] = rows[i] }
        }
        #expect(olora.orthogonalityPenalty(task: 1)!.values == [0])
        // One shared direction on each projection: entry (0, 0) of A_0 A_1ᵀ becomes 0.5 → Σ_p 0.25.
        for lora in olora.incremental.loras[1] { lora.a.data[0] = 0.5 }
        let penalty = try #require(olora.orthogonalityPenalty(task: 1)).values[0]
        #expect(penalty == 0.25 * Float(olora.incremental.projections.count))
        let batch = Array(trainer.tasks[1].train.prefix(4))
        let loss = olora.loss(batch, task: 1, context: context).values[0]
        #expect(abs(loss - (context.languageModelLoss(batch).values[0] + 0.5 * penalty)) <= 1e-5 * abs(loss))
    }

    @Test(arguments: ["inc-lora", "olora"])
    func earlierLoRAsStayBitIdenticalAndAllAreSummed(method: String) throws {
        let lm = try Tiny.model()
        let strategy = Tiny.strategy(method)
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("seta-inc-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: run) }
        _ = try ContinualTrainer(model: lm, strategy: strategy, tasks: Tiny.tasks(), options: Tiny.options(),
                                 modelName: "tiny", benchmark: nil).run(checkpoints: run)
        let inc = try #require((strategy as? IncLoRA) ?? (strategy as? OLoRA)?.incremental)
        #expect(inc.loras.count == 3 && strategy.trainableParameters.isEmpty)
        #expect(inc.storedParameterCount == 3 * inc.loras[0].reduce(0) { $0 + $1.parameterCount })
        #expect(strategy.independentEquivalent(tasksSeen: 3) == inc.storedParameterCount)
        // Task 0's LoRA trained (B moved from 0), then stayed exactly as stored after task 0 through tasks 1 and 2.
        let first = try CheckpointWriter.read(run.appendingPathComponent("task-0"))
        #expect(inc.loras[0].contains { $0.b.values.contains { $0 != 0 } })
        for (p, lora) in inc.loras[0].enumerated() {
            let name = inc.projections[p].name
            #expect(first.tensors["\(name).task0.lora_A.weight"]!.values.map(\.bitPattern) == lora.a.values.map(\.bitPattern))
            #expect(first.tensors["\(name).task0.lora_B.weight"]!.values.map(\.bitPattern) == lora.b.values.map(\.bitPattern))
            #expect(lora.parameters.allSatisfy { !$0.requiresGrad })
        }
        // Every projection carries the sum of the three tasks' LoRAs.
        var rng = SeededRNG(seed: 4)
        for (p, projection) in inc.projections.enumerated() {
            let sum = try #require(projection.linear.adapter as? AdapterSum)
            #expect(sum === projection.sum && sum.members.count == 3)
            let x = Tensor.randn([3, projection.linear.inFeatures], rng: &rng)          // (N, in)
            let separate = (0..<3).map { inc.loras[$0][p].delta(x).values }
            let together = sum.delta(x).values                                     // (N, out)
            for i in together.indices {
                let expected = separate[0][i] + separate[1][i] + separate[2][i]
                #expect(abs(together[i] - expected) <= 1e-6 * max(1, abs(expected)))
            }
        }
    }
}
