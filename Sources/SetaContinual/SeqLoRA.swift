// SeqLoRA: one LoRA (rank r, scale α/r) on the target projections, trained on every task in turn with no
// protection against forgetting — the lower bound every continual method must beat.
import SetaExperts
import SetaMetrics
import SetaModels
import SetaTensor

public final class SeqLoRA: ContinualStrategy {
    public struct Options: Codable, Equatable, Sendable {
        public var rank = 8
        public var alpha: Float = 16
        public var targets: [TargetProjection] = [.q, .v]
        public init() {}
    }
    public let options: Options
    public private(set) var adapters: [(name: String, lora: LoRA)] = []
    public var name: String { "seq-lora" }

    public init(options: Options = Options()) { self.options = options }

    public func attach(to model: LanguageModel, taskCount: Int, rng: inout SeededRNG) {
        adapters = model.network.projections(options.targets).map { name, linear in
            let lora = LoRA(inFeatures: linear.inFeatures, outFeatures: linear.outFeatures, rank: options.rank,
                            alpha: options.alpha, rng: &rng)
            linear.adapter = lora
            return (name, lora)
        }
    }

    public func beginTask(_ t: Int, context: TrainingContext) {}
    public var trainableParameters: [Tensor] { adapters.flatMap(\.lora.parameters) }
    public func loss(_ batch: [PreparedExample], task t: Int, context: TrainingContext) -> Tensor {
        context.languageModelLoss(batch)
    }
    public func endTask(_ t: Int, context: TrainingContext) {}
    public func route(prompts: [[Int]], model: LanguageModel) -> [Int]? { nil }
    public var storedParameterCount: Int { adapters.reduce(0) { $0 + $1.lora.parameterCount } }
    public func independentEquivalent(tasksSeen: Int) -> Int? { tasksSeen * storedParameterCount }
    public var sharedUtilisation: SharedUtilisation? { nil }
    public var configuration: [String: JSONValue] {
        ["method": "seq-lora", "rank": .number(Double(options.rank)), "alpha": .number(Double(options.alpha)),
         "targets": .array(options.targets.map { .string($0.rawValue) })]
    }
    public func checkpoint() -> StrategyState {
        var state = StrategyState()
        for (name, lora) in adapters {
            state.tensors["\(name).lora_A.weight"] = lora.a
            state.tensors["\(name).lora_B.weight"] = lora.b
        }
        state.manifest = ["method": "seq-lora", "config": .object(configuration)]
        return state
    }
}

extension SeqLoRA {
    /// Rebuilds SeqLoRA from a checkpoint on `model`.
    public static func restore(_ state: StrategyState, model: LanguageModel) throws -> SeqLoRA {
        var options = Options()
        if case let .object(c)? = state.manifest["config"] {
            if case let .number(r)? = c["rank"] { options.rank = Int(r) }
            if case let .number(a)? = c["alpha"] { options.alpha = Float(a) }
            if case let .array(ts)? = c["targets"] {
                options.targets = ts.compactMap { if case let .string(s) = $0 { return TargetProjection(rawValue: s) } else { return nil } }
            }
        }
        let seq = SeqLoRA(options: options)
        var rng = SeededRNG(seed: 0)
        seq.attach(to: model, taskCount: 0, rng: &rng)
        try seq.loadAdapters(state)
        return seq
    }

    /// Copies the stored A and B of every adapted projection into the attached LoRAs.
    func loadAdapters(_ state: StrategyState) throws {
        for (name, lora) in adapters {
            try state.load("\(name).lora_A.weight", into: lora.a)
            try state.load("\(name).lora_B.weight", into: lora.b)
        }
    }
}

extension SeqLoRA.Options: RangeCheckedOptions {
    /// The baselines' LoRA shape (a rank above 1024 exceeds every supported model's width).
    public static let numericOptions: [NumericOption<Self>] = [
        .integer("lora-rank", \.rank, 1...1024),
        .number("lora-alpha", \.alpha, atLeast: 0, above: true),
    ]
}
