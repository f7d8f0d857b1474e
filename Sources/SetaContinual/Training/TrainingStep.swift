// One optimiser step, as the trainer takes it and `seta bench` measures it: zero the gradients, the strategy's
// loss with each length group backpropagated as soon as it exists, the strategy's own terms once (rank 0), the
// gradients summed over ranks, global-norm clipping, AdamW.
import SetaDistributed
import SetaTensor

struct TrainingStep {
    let strategy: ContinualStrategy
    let context: TrainingContext
    let optimizer: AdamW
    let maxGradNorm: Float
    var reduction = GradientReduction()
    /// Seconds spent waiting for the slowest rank and in the gradient all-reduce (data-parallel only).
    private(set) var waitSeconds = 0.0, allReduceSeconds = 0.0

    init(strategy: ContinualStrategy, context: TrainingContext, optimizer: AdamW, maxGradNorm: Float,
         reduction: GradientReduction = GradientReduction()) {
        self.strategy = strategy; self.context = context; self.optimizer = optimizer
        self.maxGradNorm = maxGradNorm; self.reduction = reduction
    }

    /// Takes the step on `batch` of task t at `learningRate`; returns the batch's loss (the same on every rank).
    mutating func callAsFunction(_ batch: [PreparedExample], task t: Int, learningRate: Float) -> Float {
        let communicator = context.communicator
        optimizer.zeroGrad()
        context.languageModelTerms = []
        let loss = context.backpropagatingEachGroup { strategy.loss(batch, task: t, context: context) }
        // Each rank's language-model share is already backpropagated (group by group). What is left is the
        // strategy's own terms on the parameters (anchoring, orthogonality): rank 0 backpropagates them and the
        // others do not, so they enter the summed gradient once; the others' objective is the value of their
        // language-model share.
        let objective = communicator.rank == 0 ? loss : Self.total(context.languageModelTerms ?? [])
        context.languageModelTerms = nil
        if objective.requiresGrad { objective.backward() }
        var lossValue = loss.values[0]
        if communicator.size > 1 {                               // the batch's gradient (and loss) on every rank
            let clock = ContinuousClock()
            let w0 = clock.now
            communicator.barrier()                               // waiting for the slowest rank, timed apart
            let r0 = clock.now
            lossValue = Float(reduction.allReduce(optimizer.parameters, scalars: [Double(objective.values[0])],
                                                  over: communicator)[0])
            waitSeconds += (r0 - w0).inSeconds
            allReduceSeconds += (clock.now - r0).inSeconds
        }
        clipGradientNorm(optimizer.parameters, maxNorm: maxGradNorm)   // the global norm
        optimizer.update(learningRate: learningRate)
        return lossValue
    }

    /// Clears the wait and all-reduce totals (after the trainer recorded them).
    mutating func resetTimings() { waitSeconds = 0; allReduceSeconds = 0 }

    /// A sum of loss terms (a zero constant for none).
    static func total(_ terms: [Tensor]) -> Tensor {
        terms.dropFirst().reduce(terms.first ?? Tensor(zeros: [1])) { add($0, $1) }
    }
}
