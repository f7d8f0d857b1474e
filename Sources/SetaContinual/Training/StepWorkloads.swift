// Training steps as the trainer runs them, on synthetic token batches, for `seta bench`: a plain LoRA step
// (one LoRA on the LM loss, as seq-lora and mtl train it) and a SETA step with the expert state of k learned tasks
// (expansion, probe, Split-on-Share, Fisher consolidation and the gate run for real, on synthetic tasks, with small
// probe/Fisher budgets).
import Foundation
import SetaData
import SetaExperts
import SetaModels
import SetaTensor

/// One optimiser step (TrainingStep: zero grads, loss, backward, clipping, AdamW) on a fixed batch; returns the loss.
public struct TrainingStepWorkload {
    /// The strategy in the state the step runs in (for inference measurements on the same experts).
    public let strategy: ContinualStrategy
    /// Adapter parameters the strategy stores at this point (experts, gate statistics).
    public let storedParameters: Int
    public let step: () -> Float
    /// Tokens the model processes per step (batch × sequence length).
    public let tokens: Int
    /// Positions that carry loss per step.
    public let lossTokens: Int
}

public enum StepWorkloads {
    /// `batch` sequences of `length` tokens; the last `lossTokens` of each carry loss (length − 1 … all: a
    /// language-model step). Token ids are seeded and spread over the vocabulary.
    static func examples(batch: Int, length: Int, lossTokens: Int, vocab: Int,
                         rng: inout SeededRNG) -> [PreparedExample] {
        precondition(lossTokens >= 1 && lossTokens <= length, "bench: loss tokens must be in 1...\(length)")
        return (0..<batch).map { _ in
            // length + 1: the last is only a target
            let ids = (0...length).map { _ in 3 + Int(rng.next() % UInt64(vocab - 3)) }
            let promptCount = length + 1 - lossTokens
            return PreparedExample(promptIds: Array(ids[..<promptCount]), targetIds: Array(ids[promptCount...]),
                                   example: Example(prefix: "", input: "", suffix: "", target: "", references: []))
        }
    }

    /// A LoRA step (rank 8, α 16, on `targets`) — the peer's workload.
    public static func lora(model: LanguageModel, targets: [TargetProjection] = [.q, .v], batch: Int, length: Int,
                            lossTokens: Int, seed: UInt64 = 0) -> TrainingStepWorkload {
        var rng = SeededRNG(seed: seed)
        var options = LoRAShape()
        options.targets = targets
        let strategy = MultiTaskLoRA(options: options)           // one LoRA, the LM loss: a seq-lora step
        model.network.detachAdapters()
        strategy.attach(to: model, taskCount: 1, rng: &rng)
        let data = examples(batch: batch, length: length, lossTokens: lossTokens, vocab: model.config.vocabSize,
                            rng: &rng)
        return workload(strategy: strategy, task: 0, model: model, tasks: [], batch: data, rng: rng)
    }

    /// A SETA step on task `tasksLearned` after `tasksLearned` synthetic tasks went through the whole lifecycle
    /// (their experts, splits, Ω, anchors and gate statistics exist; no training steps were run on them).
    public static func seta(model: LanguageModel, tasksLearned: Int, batch: Int, length: Int, lossTokens: Int,
                            seed: UInt64 = 0) -> TrainingStepWorkload {
        var options = SETA.Options()
        options.probeBatches = 1; options.fisherExamples = 2
        return afterTasks(SETA(options: options), model: model, tasksLearned: tasksLearned, batch: batch,
                          length: length, lossTokens: lossTokens, seed: seed)
    }

    /// An independent-experts step (a rank-16 LoRA per task + the gate) after `tasksLearned` synthetic tasks: the
    /// line SETA's cost growth is compared with.
    public static func independent(model: LanguageModel, tasksLearned: Int, batch: Int, length: Int, lossTokens: Int,
                                   seed: UInt64 = 0) -> TrainingStepWorkload {
        afterTasks(IndependentExperts(), model: model, tasksLearned: tasksLearned, batch: batch, length: length,
                   lossTokens: lossTokens, seed: seed)
    }

    /// `strategy` after `tasksLearned` synthetic tasks ran beginTask/endTask (no training steps), then a step on
    /// the next task.
    static func afterTasks(_ strategy: ContinualStrategy, model: LanguageModel, tasksLearned: Int, batch: Int,
                           length: Int, lossTokens: Int, seed: UInt64) -> TrainingStepWorkload {
        var rng = SeededRNG(seed: seed)
        model.network.detachAdapters()
        strategy.attach(to: model, taskCount: tasksLearned + 1, rng: &rng)
        let vocab = model.config.vocabSize
        let tasks = (0...tasksLearned).map { t in
            PreparedTask(name: "synthetic-\(t)", kind: .classification,
                         train: examples(batch: batch, length: length, lossTokens: lossTokens, vocab: vocab, rng: &rng),
                         test: [], maxNewTokens: 1)
        }
        var trainingOptions = TrainingOptions()
        trainingOptions.batchSize = batch
        let context = TrainingContext(model: model, options: trainingOptions, tasks: tasks, rng: rng.fork())
        for t in 0..<tasksLearned {
            strategy.beginTask(t, context: context)
            strategy.endTask(t, context: context)
        }
        strategy.beginTask(tasksLearned, context: context)
        return workload(strategy: strategy, task: tasksLearned, model: model, tasks: tasks,
                        batch: tasks[tasksLearned].train, rng: rng)
    }

    static func workload(strategy: ContinualStrategy, task: Int, model: LanguageModel, tasks: [PreparedTask],
                         batch: [PreparedExample], rng: SeededRNG) -> TrainingStepWorkload {
        let options = TrainingOptions()
        let context = TrainingContext(model: model, options: options, tasks: tasks, rng: rng)
        let optimizer = AdamW(parameters: strategy.trainableParameters,
                              config: AdamWConfig(learningRate: options.learningRate))
        let tokens = batch.reduce(0) { $0 + $1.promptIds.count + $1.targetIds.count - 1 }
        let lossTokens = batch.reduce(0) { $0 + $1.targetIds.count }
        var step = TrainingStep(strategy: strategy, context: context, optimizer: optimizer,
                                maxGradNorm: options.maxGradNorm)
        return TrainingStepWorkload(strategy: strategy, storedParameters: strategy.storedParameterCount, step: {
            step(batch, task: task, learningRate: options.learningRate)      // the trainer's step, at the peak rate
        }, tokens: tokens, lossTokens: lossTokens)
    }
}
