// The precision of a model's frozen base weights, named once for every record that keeps it (run.json, the
// results config, the zero-shot cache key, `seta bench --json`).

/// float32 (the reference) or bfloat16 (`LlamaModel.useBF16Weights`: AVX-512 BF16 products, float32 accumulation).
public enum WeightPrecision: String, Codable, CaseIterable, Sendable {
    case f32, bf16

    /// How a record names it: nil for float32, which records leave out (files written before bf16 existed are
    /// float32 runs), else the raw value ("bf16").
    public var recorded: String? { self == .f32 ? nil : rawValue }
}

extension LlamaModel {
    /// The precision the frozen projections and the LM head run in now.
    public var weightPrecision: WeightPrecision { usesBF16Weights ? .bf16 : .f32 }
}
