// A training batch runs as forward passes over groups of similar length (less padding). The loss and the
// gradient must be those of the whole batch: the mean over every completion token, whatever the grouping.
import Foundation
import Testing
import SetaData
import SetaExperts
import SetaModels
import SetaTensor
@testable import SetaContinual

@Suite struct LengthGroupingTests {
    /// Eight examples of very different prompt and completion lengths, random ids of the tiny vocabulary.
    static func examples(vocab: Int) -> [PreparedExample] {
        var rng = SeededRNG(seed: 11)
        let shapes = [(3, 1), (17, 2), (5, 3), (29, 1), (9, 4), (2, 2), (23, 1), (12, 3)]
        return shapes.map { p, c in
            let ids = { (n: Int) in (0..<n).map { _ in 3 + Int(rng.next() % UInt64(vocab - 3)) } }
            return PreparedExample(promptIds: ids(p), targetIds: ids(c) + [2],
                                   example: Example(prefix: "", input: "", suffix: "", target: "", references: []))
        }
    }

    @Test func groupsAreSortedByLengthAndCoverTheBatch() {
        let batch = Self.examples(vocab: 50)
        let groups = Batch.lengthGroups(batch, rows: 3)
        #expect(groups.map(\.count) == [3, 3, 2])
        let lengths = groups.flatMap { $0.map { $0.promptIds.count + $0.targetIds.count } }
        #expect(lengths == lengths.sorted())
        #expect(Batch.lengthGroups(batch, rows: 8).count == 1 && Batch.lengthGroups(batch, rows: 0).count == 1)
    }

    /// A strategy attached to `lm` with the parameters of the task it trains (0; O-LoRA: 1, after task 0, so its
    /// orthogonality term is there) trainable and every factor non-zero.
    static func attached(_ method: String, to lm: LanguageModel) -> ContinualStrategy {
        var rng = SeededRNG(seed: 5)
        let strategy: ContinualStrategy
        switch method {
        case "seta":
            var o = SETA.Options()
            o.lambda = 0
            let seta = SETA(options: o)
            seta.attach(to: lm, taskCount: 1, rng: &rng)
            for pool in seta.pools {                     // task 0's unique expert next to the shared blocks
                pool.addUniqueExpert(rng: &rng)
                (pool.sharedParameters + pool.unique[0].parameters).forEach { $0.requiresGrad = true }
            }
            strategy = seta
        case "independent":
            let independent = IndependentExperts()
            independent.attach(to: lm, taskCount: 1, rng: &rng)
            independent.beginTask(0, context: TrainingContext(model: lm, options: TrainingOptions(), tasks: [], rng: rng))
            strategy = independent
        case "olora":
            let olora = OLoRA()
            olora.attach(to: lm, taskCount: 2, rng: &rng)
            let context = TrainingContext(model: lm, options: TrainingOptions(), tasks: [], rng: rng)
            olora.beginTask(0, context: context); olora.endTask(0, context: context); olora.beginTask(1, context: context)
            strategy = olora
        default:
            strategy = SeqLoRA()
            strategy.attach(to: lm, taskCount: 1, rng: &rng)
        }
        // B = 0 at init would leave A without gradient: give every factor values so both are checked.
        for (k, p) in strategy.trainableParameters.enumerated() {
            for i in 0..<p.count { p.data[i] = Float((i + k) % 7) * 0.01 - 0.03 }
        }
        return strategy
    }

    /// The routed experts (SETA's unique expert, independent experts) must apply in every group too: a route set
    /// for the batch's 8 sequences once dropped them from groups whose row count it did not divide.
    @Test(arguments: ["seq-lora", "seta", "independent"])
    func lossAndGradientDoNotDependOnTheGrouping(method: String) throws {
        let lm = try Tiny.model()
        let strategy = Self.attached(method, to: lm)
        let batch = Self.examples(vocab: lm.config.vocabSize)
        func lossAndGradients(rows: Int) -> (Float, [[Float]]) {
            var options = TrainingOptions()
            options.rowsPerForward = rows
            let context = TrainingContext(model: lm, options: options, tasks: [], rng: SeededRNG(seed: 0))
            strategy.trainableParameters.forEach { $0.zeroGrad() }
            let loss = strategy.loss(batch, task: 0, context: context)
            loss.backward()
            let grads = strategy.trainableParameters.map { p in Array(UnsafeBufferPointer(start: p.grad!.data, count: p.count)) }
            return (loss.data[0], grads)
        }
        let (whole, wholeGrads) = lossAndGradients(rows: 8)
        for rows in [1, 2, 3] {
            let (grouped, groupedGrads) = lossAndGradients(rows: rows)
            #expect(abs(grouped - whole) <= 1e-5 * abs(whole), "\(method), rows \(rows): loss \(grouped) vs \(whole)")
            for (g, w) in zip(groupedGrads, wholeGrads) {
                let scale = w.map(abs).max() ?? 1
                let worst = zip(g, w).map { abs($0 - $1) }.max() ?? 0
                #expect(worst <= 1e-4 * scale, "\(method), rows \(rows): gradient differs by \(worst) (max |g| \(scale))")
            }
        }
    }

    /// The trainer's step backpropagates each length group as soon as its loss exists (one group's graph alive at a
    /// time). That must give exactly — bit for bit — the loss and gradients of one backward of the summed loss,
    /// including a strategy's own term on the parameters (O-LoRA's orthogonality loss on its second task).
    @Test(arguments: ["seq-lora", "seta", "independent", "olora"])
    func backpropagatingEachGroupGivesTheSameBitsAsOneBackward(method: String) throws {
        let lm = try Tiny.model()
        let strategy = Self.attached(method, to: lm)
        let task = method == "olora" ? 1 : 0
        let batch = Self.examples(vocab: lm.config.vocabSize)
        func lossAndGradients(eager: Bool) -> (Float, [[Float]]) {
            var options = TrainingOptions()
            options.rowsPerForward = 3
            let context = TrainingContext(model: lm, options: options, tasks: [], rng: SeededRNG(seed: 0))
            strategy.trainableParameters.forEach { $0.zeroGrad() }
            let computeLoss = { strategy.loss(batch, task: task, context: context) }
            let loss = eager ? context.backpropagatingEachGroup(computeLoss) : computeLoss()
            #expect(loss.requiresGrad == (!eager || method == "olora"), "\(method): only the strategy's own term is left")
            if loss.requiresGrad { loss.backward() }
            let grads = strategy.trainableParameters.map { p in Array(UnsafeBufferPointer(start: p.grad!.data, count: p.count)) }
            return (loss.data[0], grads)
        }
        let (oneBackward, oneBackwardGrads) = lossAndGradients(eager: false)
        let (eager, eagerGrads) = lossAndGradients(eager: true)
        #expect(eager.bitPattern == oneBackward.bitPattern, "\(method): loss \(eager) vs \(oneBackward)")
        #expect(eagerGrads.count == oneBackwardGrads.count && !eagerGrads.isEmpty)
        for (g, w) in zip(eagerGrads, oneBackwardGrads) {
            #expect(g.map(\.bitPattern) == w.map(\.bitPattern), "\(method): gradients differ")
            #expect(g.contains { $0 != 0 }, "\(method): a parameter got no gradient")
        }
    }
}
