// A LoRA adapter in Hugging Face PEFT's format, as `PeftModel.save_pretrained` writes it for a LlamaForCausalLM
// (PEFT 0.21):
//
//   DIR/adapter_config.json        {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r", "lora_alpha",
//                                    "target_modules", …}
//   DIR/adapter_model.safetensors  F32, per module M (a Hugging Face module name, e.g.
//                                  model.layers.0.self_attn.q_proj):
//                                    base_model.model.M.lora_A.weight  [r, in]
//                                    base_model.model.M.lora_B.weight  [out, r]
//
// On every module the model computes W x + (lora_alpha / r) · B A x (one r and one α for the whole adapter: no
// rank_pattern / alpha_pattern, no rsLoRA, no DoRA, no bias — the reader refuses adapters that use them).
import Foundation
import SetaModels
import SetaTensor

public struct PEFTAdapter {
    /// One adapted module: its Hugging Face name and the LoRA factors.
    public struct Module {
        public var name: String
        public var a: Tensor   // [r, in]
        public var b: Tensor   // [out, r]
        public init(name: String, a: Tensor, b: Tensor) { self.name = name; self.a = a; self.b = b }
    }

    public static let configFile = "adapter_config.json"
    public static let weightsFile = "adapter_model.safetensors"
    /// PEFT's prefix of every tensor name (PeftModel → LoraModel → the transformers model).
    static let keyPrefix = "base_model.model."

    /// The adapted modules, layer by layer.
    public var modules: [Module]
    /// r: the rank of every module.
    public var rank: Int
    /// lora_alpha: the scale is α / r.
    public var alpha: Double
    /// PEFT's target_modules: the module names' last components (q_proj, v_proj).
    public var targetModules: [String]
    /// base_model_name_or_path (informative; PEFT's AutoPeftModel loads the base model from it).
    public var baseModel: String?

    public var scale: Float { Float(alpha / Double(rank)) }

    /// `modules` must share one rank and fit (A [r, in], B [out, r]); target_modules default to their last components.
    public init(modules: [Module], alpha: Double, targetModules: [String]? = nil, baseModel: String? = nil) {
        precondition(!modules.isEmpty, "a PEFT adapter needs at least one module")
        let r = modules[0].a.size(0)
        for m in modules {
            precondition(m.a.rank == 2 && m.b.rank == 2 && m.a.size(0) == r && m.b.size(1) == r,
                         "PEFT adapter: module \(m.name) has A \(m.a.shape) and B \(m.b.shape), rank \(r) expected")
        }
        self.modules = modules; self.rank = r; self.alpha = alpha; self.baseModel = baseModel
        self.targetModules = targetModules
            ?? Array(Set(modules.map { String($0.name.split(separator: ".").last ?? "") })).sorted()
    }

    /// A LoRA made of several low-rank terms per module, all with the same `scale`:
    /// Σ_i s · B_i A_i = s · [B_1 … B_n] [A_1; …; A_n].
    /// Per module the parts are stacked along the rank axis (A: rows, B: columns); modules of a lower total rank are
    /// padded with zero rows and columns (which add nothing) so that one r serves all, and lora_alpha = scale · r.
    /// The factors are copies: the adapter does not change when the parts train on.
    public init(scale: Float, stacking parts: [(name: String, a: [Tensor], b: [Tensor])], baseModel: String? = nil) {
        let ranks = parts.map { $0.a.reduce(0) { $0 + $1.size(0) } }
        let r = ranks.max() ?? 0
        precondition(r > 0, "a PEFT adapter needs at least one module of rank > 0")
        let modules = zip(parts, ranks).map { part, rank in
            precondition(!part.a.isEmpty && part.a.count == part.b.count,
                         "module \(part.name): \(part.a.count) A and \(part.b.count) B parts")
            var a = part.a.map { $0.detached() }, b = part.b.map { $0.detached() }
            if rank < r {                                                           // zero padding up to r
                a.append(Tensor(zeros: [r - rank, a[0].size(1)]))                   // (r − rank, in)
                b.append(Tensor(zeros: [b[0].size(0), r - rank]))                   // (out, r − rank)
            }
            return Module(name: part.name, a: concat(a, axis: 0), b: concat(b, axis: 1))   // (r, in), (out, r)
        }
        self.init(modules: modules, alpha: Double(scale) * Double(r), baseModel: baseModel)
    }

    // MARK: Writing

    /// Writes adapter_config.json and adapter_model.safetensors into `folder`. A new folder is assembled under a
    /// hidden name and renamed into place; into an existing folder each file is written atomically (temporary file,
    /// then rename), the weights first.
    public func write(to folder: URL) throws {
        let files = FileManager.default
        var isFolder: ObjCBool = false
        let exists = files.fileExists(atPath: folder.path, isDirectory: &isFolder)
        if exists && !isFolder.boolValue {
            throw CheckpointError.unwritable(file: folder.path, detail: "it is a file, not a folder")
        }
        let target = exists ? folder
            : folder.deletingLastPathComponent()
                .appendingPathComponent(".\(folder.lastPathComponent).partial-\(UUID().uuidString)")
        do { try files.createDirectory(at: target, withIntermediateDirectories: true) } catch {
            throw CheckpointError.unwritable(file: folder.path,
                                             detail: "cannot create the folder (\(error.localizedDescription))")
        }
        do {
            var tensors: [String: Tensor] = [:]
            for m in modules {
                tensors[Self.keyPrefix + m.name + ".lora_A.weight"] = m.a
                tensors[Self.keyPrefix + m.name + ".lora_B.weight"] = m.b
            }
            try SafetensorsWriter.write(tensors, metadata: ["format": "pt"],
                                        to: target.appendingPathComponent(Self.weightsFile))
            try writeAtomically(Data(configJSON.utf8), to: target.appendingPathComponent(Self.configFile))
            if !exists {
                do { try files.moveItem(at: target, to: folder) } catch {
                    throw CheckpointError.unwritable(
                        file: folder.path,
                        detail: "cannot move the new folder into place (\(error.localizedDescription))")
                }
            }
        } catch {
            if !exists { try? files.removeItem(at: target) }
            throw error
        }
    }

    /// A value of adapter_config.json.
    enum ConfigValue {
        case null, bool(Bool), int(Int), number(Double), string(String), strings([String]), emptyObject
    }

    /// adapter_config.json's fields as PEFT 0.21.2 writes them for a plain LoRA (every field; defaults for those
    /// unused).
    var configFields: [(key: String, value: ConfigValue)] {
        let alphaValue: ConfigValue = alpha == alpha.rounded() && abs(alpha) < 1e15 ? .int(Int(alpha)) : .number(alpha)
        return [
            ("alora_invocation_tokens", .null), ("alpha_pattern", .emptyObject), ("arrow_config", .null),
            ("auto_mapping", .null), ("base_model_name_or_path", baseModel.map { .string($0) } ?? .null),
            ("bias", .string("none")), ("corda_config", .null), ("ensure_weight_tying", .bool(false)),
            ("eva_config", .null), ("exclude_modules", .null), ("fan_in_fan_out", .bool(false)),
            ("inference_mode", .bool(true)), ("init_lora_weights", .bool(true)), ("kasa_config", .null),
            ("layer_replication", .null), ("layers_pattern", .null), ("layers_to_transform", .null),
            ("loftq_config", .emptyObject), ("lora_alpha", alphaValue), ("lora_bias", .bool(false)),
            ("lora_dropout", .number(0)), ("lora_ga_config", .null), ("megatron_config", .null),
            ("megatron_core", .string("megatron.core")), ("modules_to_save", .null), ("monteclora_config", .null),
            ("peft_type", .string("LORA")), ("peft_version", .string("0.21.2")), ("qalora_group_size", .int(16)),
            ("r", .int(rank)), ("rank_pattern", .emptyObject), ("revision", .null),
            ("target_modules", .strings(targetModules)), ("target_parameters", .null),
            ("task_type", .string("CAUSAL_LM")), ("trainable_token_indices", .null), ("use_bdlora", .null),
            ("use_dora", .bool(false)), ("use_qalora", .bool(false)), ("use_rslora", .bool(false)),
            ("velora_config", .null),
        ]
    }

    /// The config as Python's `json.dumps(config, indent=2, sort_keys=True)` prints it (PEFT's save_pretrained).
    var configJSON: String {
        func quoted(_ s: String) -> String {
            let data = try? JSONSerialization.data(withJSONObject: s,
                                                   options: [.fragmentsAllowed, .withoutEscapingSlashes])
            return data.map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
        }
        func render(_ v: ConfigValue) -> String {
            switch v {
            case .null: return "null"
            case let .bool(b): return b ? "true" : "false"
            case let .int(i): return "\(i)"
            // shortest repr, 0.0 as "0.0" like Python
            case let .number(x): return "\(x)"
            case let .string(s): return quoted(s)
            case let .strings(list):
                return list.isEmpty ? "[]" : "[\n" + list.map { "    " + quoted($0) }.joined(separator: ",\n") + "\n  ]"
            case .emptyObject: return "{}"
            }
        }
        return "{\n" + configFields.sorted { $0.key < $1.key }.map { "  \(quoted($0.key)): \(render($0.value))" }
            .joined(separator: ",\n") + "\n}"
    }

    // MARK: Reading

    /// Reads a LoRA adapter saved by PEFT (or by `write`), checking that it is a plain LoRA this reader applies
    /// exactly and that every module has both factors with shapes that fit r.
    public static func read(from folder: URL) throws -> PEFTAdapter {
        let configURL = folder.appendingPathComponent(configFile), configPath = configURL.path
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw CheckpointError.notFound(file: configPath)
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) } catch {
            throw CheckpointError.badJSON(file: configPath, detail: "not valid JSON (\(error.localizedDescription))")
        }
        guard let config = object as? [String: Any] else {
            throw CheckpointError.badJSON(file: configPath, detail: "not a JSON object")
        }
        let (rank, alpha, targets) = try checkedConfig(config, file: configPath)

        let weightsURL = folder.appendingPathComponent(weightsFile)
        let file = try SafetensorsFile(url: weightsURL)
        var factors: [String: (a: Tensor?, b: Tensor?)] = [:]
        for key in file.names {
            guard key.hasPrefix(keyPrefix),
                  let factor = [".lora_A.weight", ".lora_B.weight"].first(where: key.hasSuffix) else {
                throw CheckpointError.invalid(file: weightsURL.path,
                                              detail: "unexpected tensor \(key): a LoRA adapter holds only "
                                              + "\(keyPrefix)<module>.lora_A.weight and .lora_B.weight")
            }
            let module = String(key.dropFirst(keyPrefix.count).dropLast(factor.count))
            let tensor = try file.tensor(key)
            if factor == ".lora_A.weight" {
                factors[module, default: (nil, nil)].a = tensor
            } else {
                factors[module, default: (nil, nil)].b = tensor
            }
        }
        guard !factors.isEmpty else { throw CheckpointError.invalid(file: weightsURL.path, detail: "no LoRA tensors") }
        let names = factors.keys.sorted { $0.compare($1, options: .numeric) == .orderedAscending }
        let modules = try names.map { name -> Module in
            let keyA = keyPrefix + name + ".lora_A.weight", keyB = keyPrefix + name + ".lora_B.weight"
            guard let a = factors[name]!.a else {
                throw CheckpointError.missingTensor(file: weightsURL.path, name: keyA)
            }
            guard let b = factors[name]!.b else {
                throw CheckpointError.missingTensor(file: weightsURL.path, name: keyB)
            }
            guard a.rank == 2, a.size(0) == rank else {
                throw CheckpointError.shapeMismatch(file: weightsURL.path, name: keyA,
                                                    expected: [rank, a.shape.last ?? 0], found: a.shape)
            }
            guard b.rank == 2, b.size(1) == rank else {
                throw CheckpointError.shapeMismatch(file: weightsURL.path, name: keyB,
                                                    expected: [b.shape.first ?? 0, rank], found: b.shape)
            }
            return Module(name: name, a: a, b: b)
        }
        return PEFTAdapter(modules: modules, alpha: alpha, targetModules: targets,
                           baseModel: config["base_model_name_or_path"] as? String)
    }

    /// r, lora_alpha and target_modules of a config, after refusing every feature that changes what a module computes.
    private static func checkedConfig(_ c: [String: Any],
                                      file: String) throws -> (rank: Int, alpha: Double, targets: [String]) {
        func invalid(_ detail: String) -> CheckpointError { .invalid(file: file, detail: detail) }
        func isSet(_ key: String) -> Bool {                       // present and not null / false / empty
            switch c[key] {
            case nil, is NSNull: return false
            case let flag as Bool: return flag
            case let list as [Any]: return !list.isEmpty
            case let map as [String: Any]: return !map.isEmpty
            default: return true
            }
        }
        let peftType = c["peft_type"] as? String ?? "missing"
        guard peftType == "LORA" else { throw invalid("peft_type is \(peftType); only LORA adapters are supported") }
        for (key, why) in [("use_dora", "DoRA (weight-decomposed LoRA)"), ("use_rslora", "rsLoRA (scale α/√r)"),
                           ("rank_pattern", "a rank per module (rank_pattern)"),
                           ("alpha_pattern", "an α per module (alpha_pattern)"),
                           ("fan_in_fan_out", "transposed (fan_in_fan_out) weights"), ("lora_bias", "a bias on lora_B"),
                           ("modules_to_save", "fully trained extra modules (modules_to_save)"),
                           ("target_parameters", "LoRA on parameters (target_parameters)")] where isSet(key) {
            throw invalid("\(key) is set: \(why) is not supported, only plain LoRA")
        }
        if let bias = c["bias"] as? String, bias != "none" {
            throw invalid("bias is \"\(bias)\": only \"none\" is supported")
        }
        guard let r = (c["r"] as? NSNumber)?.doubleValue, r == r.rounded(), r >= 1, r < 1e9 else {
            throw invalid("r is \(c["r"].map { "\($0)" } ?? "missing"), expected a positive integer")
        }
        guard let alpha = (c["lora_alpha"] as? NSNumber)?.doubleValue, alpha.isFinite else {
            throw invalid("lora_alpha is \(c["lora_alpha"].map { "\($0)" } ?? "missing"), expected a number")
        }
        let targets: [String]
        switch c["target_modules"] {
        case let list as [String]: targets = list
        case let pattern as String: targets = [pattern]              // a regular expression over module names
        default: targets = []
        }
        return (Int(r), alpha, targets)
    }

    // MARK: Applying

    /// Puts a LoRA (A, B, α/r) on every module of the adapter in `model`, replacing any adapter there. A module
    /// that is not a projection of the model, or whose factors do not fit it, is an error (and nothing is attached).
    public func attach(to model: LlamaModel) throws {
        let projections = Dictionary(
            uniqueKeysWithValues: model.projections(TargetProjection.allCases).map { ($0.name, $0.linear) })
        let placed = try modules.map { m -> (Linear, LoRA) in
            guard let linear = projections[m.name] else {
                throw AdapterError.invalidConfig("module \(m.name) of the adapter is not a projection of the model "
                                                 + "(model.layers.<i>.self_attn.{q,k,v,o}_proj or "
                                                 + "model.layers.<i>.mlp.{gate,up,down}_proj, "
                                                 + "\(model.blocks.count) layers)")
            }
            guard m.a.size(1) == linear.inFeatures, m.b.size(0) == linear.outFeatures else {
                throw AdapterError.invalidConfig("module \(m.name): A \(m.a.shape) and B \(m.b.shape) do not fit "
                                                 + "the projection (\(linear.inFeatures) → \(linear.outFeatures))")
            }
            return (linear, LoRA(a: m.a, b: m.b, scale: scale))
        }
        for (linear, lora) in placed { linear.adapter = lora }
    }
}
