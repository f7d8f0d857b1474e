// Which projections of a Llama-family model carry adapters, and how to reach them by name.
import SetaModels

/// A projection of a Llama block that can be adapted.
public enum TargetProjection: String, CaseIterable, Codable, Sendable {
    case q = "q_proj", k = "k_proj", v = "v_proj", o = "o_proj", gate = "gate_proj", up = "up_proj", down = "down_proj"

    /// Parses "q,v", "q_proj,v_proj" or "all".
    public static func parse(_ list: String) throws -> [TargetProjection] {
        if list == "all" { return allCases }
        return try list.split(separator: ",").map { item in
            let s = item.trimmingCharacters(in: .whitespaces)
            guard let t = TargetProjection(rawValue: s) ?? TargetProjection(rawValue: s + "_proj") else {
                throw AdapterError.unknownTarget(s)
            }
            return t
        }
    }
}

public enum AdapterError: Error, CustomStringConvertible, Equatable {
    case unknownTarget(String)
    case invalidConfig(String)
    public var description: String {
        switch self {
        case let .unknownTarget(s):
            return "unknown adapter target \"\(s)\": use q, k, v, o, gate, up, down (or *_proj), "
                + "comma-separated, or all"
        case let .invalidConfig(why): return "invalid adapter configuration: \(why)"
        }
    }
}

extension LlamaModel {
    /// The adapted projections in a fixed order (layer by layer, targets in the given order), with their
    /// Hugging Face module names, e.g. "model.layers.3.self_attn.q_proj".
    public func projections(_ targets: [TargetProjection]) -> [(name: String, linear: Linear)] {
        var out: [(String, Linear)] = []
        for (i, block) in blocks.enumerated() {
            for t in targets {
                let linear: Linear
                switch t {
                case .q: linear = block.attention.q
                case .k: linear = block.attention.k
                case .v: linear = block.attention.v
                case .o: linear = block.attention.o
                case .gate: linear = block.mlp.gate
                case .up: linear = block.mlp.up
                case .down: linear = block.mlp.down
                }
                let module = [.gate, .up, .down].contains(t) ? "mlp" : "self_attn"
                out.append(("model.layers.\(i).\(module).\(t.rawValue)", linear))
            }
        }
        return out
    }

    /// Removes every adapter (back to the frozen base model).
    public func detachAdapters() {
        for (_, l) in projections(TargetProjection.allCases) { l.adapter = nil }
    }
}
