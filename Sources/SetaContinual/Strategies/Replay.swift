// Replay-LoRA — experience replay with a tiny episodic memory (Chaudhry et al. 2019, "On Tiny Episodic Memories in
// Continual Learning"; Rolnick et al. 2019, "Experience Replay for Continual Learning") on one LoRA trained on every
// task in turn (AdaptedLoRA, as SeqLoRA). The one baseline that keeps data of earlier tasks — SETA's setting is no
// replay. The memory is a reservoir (Vitter 1985, Algorithm R): after n examples were offered to a buffer of
// budget k, each of them is in it with probability k/n, whatever task it came from.
//
//   L = L_LM(B_t ∪ R)      R: ⌈ρ·|B_t|⌉ examples drawn from the buffer without replacement (ρ = 1/4: one
//                          replayed per four new, e.g. 8 + 2), none while the buffer is empty (the first task)
//
// (the mean over the completion tokens of the mixed batch, new and replayed alike.)
//
// Task t, in the order the hooks run:
//   1. beginTask — nothing: the same LoRA keeps training;
//   2. loss      — the LM loss of the batch mixed with replayed examples (drawn with the context's seeded RNG);
//   3. endTask   — task t's training examples are offered to the reservoir, in their stored order, so the buffer
//                  only ever holds examples of tasks already finished.
import SetaExperts
import SetaMetrics
import SetaModels
import SetaTensor

/// A training example by where it lives: `PreparedTask.train[index]` of task `task` in the run's stream.
public struct ExampleReference: Codable, Hashable, Sendable {
    public var task: Int
    public var index: Int
    public init(task: Int, index: Int) { self.task = task; self.index = index }
}

/// Reservoir sampling (Algorithm R): a uniform sample of at most `budget` items from everything offered so far.
public struct Reservoir<Element: Codable & Equatable & Sendable>: Codable, Equatable, Sendable {
    public let budget: Int
    public private(set) var items: [Element] = []
    /// Items offered so far (n).
    public private(set) var seen = 0

    public init(budget: Int) {
        precondition(budget >= 0, "reservoir budget \(budget) < 0")
        self.budget = budget
    }

    /// The n-th item (1-based) enters while there is room; then it replaces a uniform slot with probability k/n.
    public mutating func offer(_ item: Element, rng: inout SeededRNG) {
        seen += 1
        if items.count < budget { items.append(item); return }
        let slot = Int(rng.next() % UInt64(seen))                   // uniform in 0..<n
        if slot < budget { items[slot] = item }
    }

    /// `count` distinct items, uniformly (a partial Fisher–Yates shuffle of the slots).
    public func sample(_ count: Int, rng: inout SeededRNG) -> [Element] {
        var slots = Array(items.indices)
        let n = min(count, slots.count)
        for i in 0..<n { slots.swapAt(i, i + Int(rng.next() % UInt64(slots.count - i))) }
        return slots.prefix(n).map { items[$0] }
    }
}

public final class ReplayLoRA: OneLoRAStrategy {
    public struct Options: Codable, Equatable, Sendable {
        /// The one LoRA: rank 8, α 16, on q_proj and v_proj (SeqLoRA's defaults).
        public var lora = LoRAShape()
        /// Examples kept over all earlier tasks together (not per task): 200.
        public var budget = 200
        /// ρ, replayed examples per new example in a batch, rounded up: 0.25 (one per four new).
        public var replayRatio = 0.25
        public init() {}
    }

    public let options: Options
    public var name: String { "replay" }
    /// The LoRA that trains on every task.
    public let lora: AdaptedLoRA
    /// The episodic memory of earlier tasks' training examples.
    public internal(set) var buffer: Reservoir<ExampleReference>

    public init(options: Options = Options()) {
        self.options = options
        lora = AdaptedLoRA(shape: options.lora)
        buffer = Reservoir(budget: options.budget)
    }

    // MARK: Hooks

    public func attach(to model: LanguageModel, taskCount: Int, rng: inout SeededRNG) {
        lora.attach(to: model, rng: &rng)
        buffer = Reservoir(budget: options.budget)
    }

    public func loss(_ batch: [PreparedExample], task t: Int, context: TrainingContext) -> Tensor {
        context.languageModelLoss(mixedBatch(batch, context: context))
    }

    public func endTask(_ t: Int, context: TrainingContext) {
        var rng = context.rng.fork()
        for i in context.tasks[t].train.indices { buffer.offer(ExampleReference(task: t, index: i), rng: &rng) }
    }

    /// The new batch followed by ⌈ρ·|batch|⌉ replayed examples (fewer if the buffer holds fewer; none when
    /// empty).
    func mixedBatch(_ batch: [PreparedExample], context: TrainingContext) -> [PreparedExample] {
        guard !buffer.items.isEmpty, options.replayRatio > 0 else { return batch }
        let count = Int((Double(batch.count) * options.replayRatio).rounded(.up))
        return batch + buffer.sample(count, rng: &context.rng).map { context.tasks[$0.task].train[$0.index] }
    }

    // MARK: What it stores

    // Stored adapter parameters: the one LoRA (OneLoRAStrategy; the buffer holds data, not parameters).
    public var configuration: [String: JSONValue] { recordedConfiguration(method: name, options: options) }

    /// The LoRA's tensors; the buffer as example references (task, index into its prepared training examples, which
    /// a resumed run rebuilds identically from the same options) with the reservoir's count of offered examples.
    public func checkpoint() -> StrategyState {
        var state = StrategyState()
        state.tensors = lora.tensors
        state.manifest = ["method": .string(name), "config": .object(configuration),
                          "reservoir": (try? JSONValue(encoding: buffer)) ?? .null]
        return state
    }

    /// Rebuilds Replay-LoRA from a checkpoint on `model`: the LoRA and the buffer.
    public static func restore(_ state: StrategyState, model: LanguageModel) throws -> ReplayLoRA {
        let replay = ReplayLoRA(options: try state.options(Options.self))
        var rng = SeededRNG(seed: 0)
        replay.attach(to: model, taskCount: 0, rng: &rng)
        try replay.lora.load(state)
        replay.buffer = try state.manifestValue("reservoir", as: Reservoir<ExampleReference>.self)
        return replay
    }
}

extension ReplayLoRA {
    public static let method = ContinualMethod(
        name: "replay", summary: "one LoRA trained with a reservoir of earlier tasks' examples mixed into each batch",
        defaults: Options(), make: { ReplayLoRA(options: $0) }, restore: { try ReplayLoRA.restore($0, model: $1) })
}

extension ReplayLoRA.Options: DeclaredOptions {
    /// A ratio above 64 replays more than 64 old examples per new one: a batch that no longer fits in memory.
    public static let fields: [OptionField<Self>] = LoRAShape.fields.map { $0.lifted(\.lora) } + [
        .integer("replay-budget", \.budget, 0...10_000_000,
                 help: "Replay: buffer size in examples over all earlier tasks (reservoir sampling)."),
        .number("replay-ratio", \.replayRatio, atLeast: 0, atMost: 64,
                help: "Replay: replayed examples per new example in a batch, rounded up (0.25: 8 new + 2 replayed)."),
    ]
}
