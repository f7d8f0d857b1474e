// A continual strategy, as in mammoth: its own hyper-parameters, hooks in the order the trainer calls them
// (attach → beginTask → loss per step → endTask), and what it stores. One file per method.
import Foundation
import SetaData
import SetaDistributed
import SetaExperts
import SetaMetrics
import SetaModels
import SetaTensor

/// One example ready for the model: prompt token ids, and the completion's ids followed by end-of-sequence.
public struct PreparedExample: Sendable {
    public var promptIds: [Int]
    public var targetIds: [Int]
    public var example: Example
}

public struct PreparedTask: Sendable {
    public var name: String
    public var kind: TaskKind
    public var train: [PreparedExample]
    public var test: [PreparedExample]
    /// Most new tokens to decode at evaluation (longest label + 2 for classification, 64 for generation).
    public var maxNewTokens: Int
}

/// What a strategy needs from the trainer during its hooks.
public final class TrainingContext {
    public let model: LanguageModel
    public let options: TrainingOptions
    public let tasks: [PreparedTask]
    public var rng: SeededRNG
    /// The ranks of a data-parallel job (one process: `SingleProcess`). Every rank runs the same hooks on the same
    /// batches with the same RNG streams; only the forward/backward work is divided (languageModelLoss, shard).
    public let communicator: Communicator
    /// The language-model terms of the trainer's step (nil outside one): ranks other than 0 reduce only these, so a
    /// strategy's own terms (penalties on parameters) count once, on rank 0.
    var languageModelTerms: [Tensor]?
    /// True inside `backpropagatingEachGroup` (an optimiser step of the trainer or `seta bench`, SETA's
    /// sensitivity probe): `languageModelLoss` then backpropagates each length group as soon as its loss is computed
    /// and returns the batch's loss as a constant, so only one group's graph (`options.rowsPerForward` examples) is
    /// alive at a time instead of the whole batch's
    /// — 2–4× less peak memory for the default 8 × 2 (BENCHMARKS.md). The gradients are bit-identical to one
    /// backward of the summed loss: that walks the groups' graphs one after another, first group first, and the
    /// strategy's own terms (penalties on the parameters, added to the LM loss with weight 1) last, which is the order
    /// here too. It relies on the groups' graphs sharing only leaves (parameters), as every strategy's do
    /// (LengthGroupingTests checks it bit for bit).
    private(set) var backpropagatesEachGroup = false
    init(model: LanguageModel, options: TrainingOptions, tasks: [PreparedTask], rng: SeededRNG,
         communicator: Communicator = SingleProcess()) {
        self.model = model; self.options = options; self.tasks = tasks; self.rng = rng; self.communicator = communicator
    }

    /// Runs `body` (a strategy's loss) with `backpropagatesEachGroup` on: what it returns still needs a backward
    /// only for the terms it added to the language-model loss (`requiresGrad` says whether there are any).
    func backpropagatingEachGroup(_ body: () -> Tensor) -> Tensor {
        backpropagatesEachGroup = true
        defer { backpropagatesEachGroup = false }
        return body()
    }

    /// Mean next-token loss over all completion tokens of `examples`. The examples run in groups of similar
    /// length (`options.rowsPerForward` each, right-padded): Σ_g (n_g / N) · mean_g is the batch's mean.
    /// With several ranks, each rank computes a share of the groups (balanced by padded tokens): its part of that
    /// sum (a zero constant when it has no group), and the parts' gradients summed over ranks are the batch's
    /// gradient (`reduceGradients`).
    public func languageModelLoss(_ examples: [PreparedExample]) -> Tensor {
        let groups = Batch.lengthGroups(examples, rows: options.rowsPerForward)
        let mine = communicator.balancedShare(costs: groups.map { g in
            g.count * (g.map { $0.promptIds.count + $0.targetIds.count }.max() ?? 0)
        })
        guard !mine.isEmpty else { return Tensor(zeros: [1]) }
        let loss = groupsLoss(mine.map { groups[$0] }, scaled: groups.count > 1,
                              totalTokens: examples.reduce(0) { $0 + $1.targetIds.count })
        languageModelTerms?.append(loss)
        return loss
    }

    private func groupsLoss(_ groups: [[PreparedExample]], scaled: Bool, totalTokens total: Int) -> Tensor {
        var loss: Tensor?
        for group in groups {
            let batch = Batch(group, padId: model.padId)
            var part = model.network.loss(ids: batch.ids, targets: batch.targets, batch: group.count)
            if scaled { part = scale(part, Float(group.reduce(0) { $0 + $1.targetIds.count }) / Float(total)) }
            if backpropagatesEachGroup && part.requiresGrad {
                part.backward()                                  // releases this group's graph
                part = part.detached()
            }
            loss = loss.map { add($0, part) } ?? part
        }
        return loss!
    }

    /// Σ over completion tokens of −log p (a sum, not a mean): per-example Fisher terms need ∂ log p(y|x)/∂θ.
    /// Always this rank's whole example (per-example statistics are sharded by example: `shard`).
    public func negativeLogLikelihood(_ example: PreparedExample) -> Tensor {
        let groups = Batch.lengthGroups([example], rows: options.rowsPerForward)
        let loss = groupsLoss(groups, scaled: false, totalTokens: example.targetIds.count)
        return scale(loss, Float(example.targetIds.count))
    }

    /// The items this rank handles (all of them in one process): for statistics made of per-example terms
    /// (Fisher diagonals), each rank sums its examples' terms and `sumOverRanks` adds the ranks' sums.
    public func shard<T>(_ items: [T]) -> [T] { communicator.shard(items) }

    /// Sums the values of `tensors` over ranks, in place (no-op in one process).
    public func sumOverRanks(_ tensors: [Tensor]) {
        GradientReduction().allReduceValues(tensors, over: communicator)
    }

    /// Sums the gradients of `parameters` over ranks, in place (no-op in one process): after a backward pass of
    /// `languageModelLoss`, the gradient of the whole batch on every rank — before any absolute value or square
    /// is taken of it (sensitivity probes).
    public func reduceGradients(_ parameters: [Tensor]) {
        _ = GradientReduction().allReduce(parameters, over: communicator)
    }

    /// Batches of task t's training examples in a seeded order (the same order for a seed, every run).
    public func batches(of task: PreparedTask, size: Int, rng: inout SeededRNG) -> [[PreparedExample]] {
        var order = Array(task.train.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        return stride(from: 0, to: order.count, by: size).map {
            Array(order[$0..<min($0 + size, order.count)]).map { task.train[$0] }
        }
    }
}

public protocol ContinualStrategy: AnyObject {
    /// The `--method` name.
    var name: String { get }
    /// Creates adapters on the frozen model (before the first task).
    func attach(to model: LanguageModel, taskCount: Int, rng: inout SeededRNG)
    /// Before training task t: expansion, probes, decisions; sets which tensors train.
    func beginTask(_ t: Int, context: TrainingContext)
    /// Tensors the optimiser updates during task t.
    var trainableParameters: [Tensor] { get }
    /// The training loss of one batch of task t (the LM loss plus the method's own terms).
    func loss(_ batch: [PreparedExample], task t: Int, context: TrainingContext) -> Tensor
    /// After training task t: consolidation, freezing, gate statistics.
    func endTask(_ t: Int, context: TrainingContext)
    /// Sets the routing for an inference batch of prompts; returns the chosen expert per prompt (nil: no gate).
    func route(prompts: [[Int]], model: LanguageModel) -> [Int]?
    /// The routing for a batch of task `task`'s test prompts. Task-agnostic methods must not look at the task (the
    /// default ignores it); only an oracle upper bound (per-task) uses it.
    func route(prompts: [[Int]], evaluating task: Int, model: LanguageModel) -> [Int]?
    /// True for a method trained on all tasks at once (mtl): the trainer runs one stage over the mixed tasks.
    var trainsJointly: Bool { get }
    /// Adapter parameters stored now (experts and gate statistics; training state such as Ω and θ* excluded).
    var storedParameterCount: Int { get }
    /// The same count for independent rank-r_s experts, one per task seen (nil if not comparable).
    func independentEquivalent(tasksSeen: Int) -> Int?
    /// Shared-subspace utilisation (nil for methods without shared experts).
    var sharedUtilisation: SharedUtilisation? { get }
    /// The method's configuration, recorded in results.json.
    var configuration: [String: JSONValue] { get }
    /// Tensors and a JSON manifest that restore the strategy after task t (checkpoint at a task boundary).
    func checkpoint() -> StrategyState
    /// Reads what the method starts from outside the run (independent's `--init-adapters`) and checks it against
    /// the stream's task names, before anything is written; also after a resume. Default: nothing.
    func loadInitialState(taskNames: [String], model: LanguageModel) throws
    /// Routes each of the next forward's `sequences` to task t's expert, as training does (`seta export` of task
    /// t's effective LoRA); default: nothing to route.
    func routeEverySequence(to t: Int, sequences: Int)
    /// True for an oracle that is told the task at evaluation (per-task); task-agnostic methods are not.
    var evaluatesWithTaskIdentity: Bool { get }
    /// The method's part of `seta inspect` (InspectionByMethod.swift).
    func inspection(_ input: InspectionInput) -> MethodInspection
}

/// A method a peer framework can replay step for step (`--export-peer`): one LoRA per adapted projection.
public protocol PeerReplayable: ContinualStrategy {
    var adapters: [(name: String, lora: LoRA)] { get }
    /// The LoRAs' rank, α and targets.
    var loraShape: LoRAShape { get }
}

/// A strategy with a gate over per-task experts (seta, independent, per-task): `routing` holds the gate's weights
/// of the prompts last routed.
public protocol GatedStrategy: ContinualStrategy {
    var routing: Routing { get }
    var gate: PrototypeGate! { get }
}

extension ContinualStrategy {
    public func route(prompts: [[Int]], evaluating task: Int, model: LanguageModel) -> [Int]? {
        route(prompts: prompts, model: model)
    }
    public var trainsJointly: Bool { false }
    public func loadInitialState(taskNames: [String], model: LanguageModel) throws {}
    public func routeEverySequence(to t: Int, sequences: Int) {}
    public var evaluatesWithTaskIdentity: Bool { false }
}

/// A right-padded training batch: inputs and next-token targets, loss only on completion tokens.
struct Batch {
    var ids: [Int] = [], targets: [Int] = []
    let length: Int

    /// `examples` sorted by length (ties in batch order) and cut into groups of at most `rows`.
    static func lengthGroups(_ examples: [PreparedExample], rows: Int) -> [[PreparedExample]] {
        guard rows > 0, rows < examples.count else { return [examples] }
        let sorted = examples.indices.sorted {
            let a = examples[$0].promptIds.count + examples[$0].targetIds.count
            let b = examples[$1].promptIds.count + examples[$1].targetIds.count
            return a != b ? a < b : $0 < $1
        }.map { examples[$0] }
        return stride(from: 0, to: sorted.count, by: rows).map { Array(sorted[$0..<min($0 + rows, sorted.count)]) }
    }

    init(_ examples: [PreparedExample], padId: Int) {
        length = examples.map { $0.promptIds.count + $0.targetIds.count - 1 }.max() ?? 0
        for e in examples {
            let full = e.promptIds + e.targetIds                    // prompt, completion, EOS
            let input = Array(full.dropLast()), n = input.count
            var target = [Int](repeating: ignoreIndex, count: length)
            for i in (e.promptIds.count - 1)..<n { target[i] = full[i + 1] }
            ids += input + [Int](repeating: padId, count: length - n)
            targets += target
        }
    }
}
