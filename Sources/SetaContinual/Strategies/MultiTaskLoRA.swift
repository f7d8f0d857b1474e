// MTL-LoRA — the multi-task upper bound (SETA.md, "Baselines"): one LoRA trained on all tasks at once, their
// training examples mixed and shuffled together for the same number of epochs, so there is no stream and nothing
// to forget. The trainer runs one joint stage (`trainsJointly`) and evaluates every task once: results.json holds
// one row, and BWT, FWT and forgetting are null.
import SetaExperts
import SetaMetrics
import SetaModels
import SetaTensor

public final class MultiTaskLoRA: ContinualStrategy {
    public typealias Options = LoRAShape
    public var options: Options { lora.shape }
    public var name: String { "mtl" }
    /// The one LoRA (rank 8, α 16 on q_proj and v_proj by default).
    let lora: AdaptedLoRA

    public init(options: Options = Options()) { lora = AdaptedLoRA(shape: options) }
    private init(lora: AdaptedLoRA) { self.lora = lora }

    public var trainsJointly: Bool { true }

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
    public var configuration: [String: JSONValue] {
        lora.configuration(method: name)
    }
    public func checkpoint() -> StrategyState {
        var state = StrategyState()
        state.tensors = lora.tensors
        state.manifest = ["method": .string(name), "config": .object(configuration)]
        return state
    }

    /// Rebuilds MTL-LoRA from a checkpoint on `model`.
    public static func restore(_ state: StrategyState, model: LanguageModel) throws -> MultiTaskLoRA {
        MultiTaskLoRA(lora: try AdaptedLoRA.restored(state, model: model))
    }
}

extension MultiTaskLoRA {
    public static let method = ContinualMethod(
        name: "mtl", summary: "upper bound: one LoRA trained on all tasks jointly (no stream; one row)",
        defaults: Options(), make: { MultiTaskLoRA(options: $0) },
        restore: { try MultiTaskLoRA.restore($0, model: $1) })
}
