// The one LoRA on every adapted projection that seq-lora, ewc, replay and mtl each train on their own terms: a
// building block of those methods, not a method. It attaches, counts, stores and restores the LoRAs, exports them
// as one PEFT adapter and describes them to `seta inspect`.
import SetaExperts
import SetaMetrics
import SetaModels
import SetaTensor

public final class AdaptedLoRA {
    public let shape: LoRAShape
    /// The adapted projections, by Hugging Face module name, with their LoRA (A [r, in], B [out, r]).
    public private(set) var adapters: [(name: String, lora: LoRA)] = []

    public init(shape: LoRAShape) { self.shape = shape }

    public func attach(to model: LanguageModel, rng: inout SeededRNG) {
        adapters = model.network.projections(shape.targets).map { name, linear in
            let lora = LoRA(inFeatures: linear.inFeatures, outFeatures: linear.outFeatures, rank: shape.rank,
                            alpha: shape.alpha, rng: &rng)
            linear.adapter = lora
            return (name, lora)
        }
    }

    /// A and B of every projection, in projection order.
    public var parameters: [Tensor] { adapters.flatMap(\.lora.parameters) }
    public var parameterCount: Int { adapters.reduce(0) { $0 + $1.lora.parameterCount } }

    /// The shape as results.json records it: rank, alpha, targets (and the method's name).
    public func configuration(method: String) -> [String: JSONValue] {
        ["method": .string(method), "rank": .number(Double(shape.rank)), "alpha": .number(Double(shape.alpha)),
         "targets": .array(shape.targets.map { .string($0.rawValue) })]
    }

    /// The checkpoint's tensors: "<projection>.lora_A.weight", "<projection>.lora_B.weight".
    public var tensors: [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for (name, lora) in adapters {
            tensors["\(name).lora_A.weight"] = lora.a
            tensors["\(name).lora_B.weight"] = lora.b
        }
        return tensors
    }

    /// Copies the stored A and B of every adapted projection into the attached LoRAs.
    public func load(_ state: StrategyState) throws {
        for (name, lora) in adapters {
            try state.load("\(name).lora_A.weight", into: lora.a)
            try state.load("\(name).lora_B.weight", into: lora.b)
        }
    }

    /// The LoRAs a checkpoint stored, attached to `model`.
    public static func restored(_ state: StrategyState, model: LanguageModel) throws -> AdaptedLoRA {
        let lora = AdaptedLoRA(shape: try state.options(LoRAShape.self))   // the config configuration(method:) wrote
        var rng = SeededRNG(seed: 0)
        lora.attach(to: model, rng: &rng)
        try lora.load(state)
        return lora
    }

    /// The LoRAs as one PEFT adapter (what every task's input goes through).
    public func effectiveLoRA(method: String) throws -> PEFTAdapter {
        guard !adapters.isEmpty else { throw AdapterError.invalidConfig("\(method) has no adapters attached") }
        return PEFTAdapter(scale: shape.alpha / Float(shape.rank),
                           stacking: adapters.map { ($0.name, [$0.lora.a], [$0.lora.b]) })
    }

    /// One inspection entry per adapted projection.
    var poolInspections: [PoolInspection] {
        adapters.map { name, lora in
            let (layer, projection) = RunInspection.parse(name)
            return PoolInspection(name: name, layer: layer, projection: projection, inFeatures: lora.a.size(1),
                                  outFeatures: lora.b.size(0), sharedRank: lora.rank, blockCount: 0, blockStates: [],
                                  uniqueRanks: [], splitBlocks: [], storedParameters: lora.parameterCount, omega: nil)
        }
    }
}

/// A method that trains one AdaptedLoRA on every task (seq-lora, ewc, replay, mtl): the hooks it does not change
/// have these defaults — attach the LoRA, train all of it on the LM loss, no gate, store the LoRA.
public protocol OneLoRAStrategy: ContinualStrategy {
    var lora: AdaptedLoRA { get }
}

extension OneLoRAStrategy {
    public func attach(to model: LanguageModel, taskCount: Int, rng: inout SeededRNG) {
        lora.attach(to: model, rng: &rng)
    }
    public func beginTask(_ t: Int, context: TrainingContext) {}
    public var trainableParameters: [Tensor] { lora.parameters }
    public func loss(_ batch: [PreparedExample], task t: Int, context: TrainingContext) -> Tensor {
        context.languageModelLoss(batch)
    }
    public func endTask(_ t: Int, context: TrainingContext) {}
    public func route(prompts: [[Int]], model: LanguageModel) -> [Int]? { nil }
    public var storedParameterCount: Int { lora.parameterCount }
    public func independentEquivalent(tasksSeen: Int) -> Int? { tasksSeen * lora.parameterCount }
    public var sharedUtilisation: SharedUtilisation? { nil }
    public var configuration: [String: JSONValue] { lora.configuration(method: name) }
    public func checkpoint() -> StrategyState {
        var state = StrategyState()
        state.tensors = lora.tensors
        state.manifest = ["method": .string(name), "config": .object(configuration)]
        return state
    }
}
