// `seta train --config FILE`: every train option can also come from a YAML file. Precedence: command line >
// file > defaults. Keys are the long option names (`train-per-task`, or `train_per_task`); RUN/config.yaml
// records every option's final value and where it came from.
import ArgumentParser
import Foundation
import SetaContinual
import SetaData
import SetaExperts
import SetaModels
import Yams

/// A problem with a config file, as one paragraph naming the file (and the key, value and expected type, or the line).
struct ConfigFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What a config key holds.
enum ConfigType: Equatable {
    case int, seed, float, double, string, list, choice([String])

    var expected: String {
        switch self {
        case .int: return "an integer"
        case .seed: return "a non-negative integer"
        case .float, .double: return "a number"
        case .string: return "a string"
        case .list: return "a list of names or a comma-separated string"
        case let .choice(values): return "one of " + values.joined(separator: ", ")
        }
    }
}

/// A value from a config file, already checked against its key's type (a list arrives comma-joined).
enum ConfigValue: Equatable {
    case int(Int), seed(UInt64), float(Float), double(Double), string(String)
}

/// A parsed, type-checked config file: canonical (kebab-case) key → value, and warnings for keys it does not know.
struct ConfigFile {
    let path: String
    private(set) var values: [String: ConfigValue] = [:]
    private(set) var warnings: [String] = []

    /// Reads `path` and checks it against `schema` (canonical key → type).
    static func read(_ path: String, schema: [(key: String, type: ConfigType)]) throws -> ConfigFile {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw ConfigFileError("the config file \(path) does not exist")
        }
        guard !isFolder.boolValue else { throw ConfigFileError("the config file \(path) is a folder, not a YAML file") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ConfigFileError("cannot read the config file \(path): \((error as NSError).localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigFileError("the config file \(path) is not UTF-8 text")
        }
        return try parse(text, path: path, schema: schema)
    }

    /// Checks YAML `text` (named `path` in messages) against `schema`. A key without a value (`key:` or `~`)
    /// is the same as leaving it out; an empty file sets nothing.
    static func parse(_ text: String, path: String, schema: [(key: String, type: ConfigType)]) throws -> ConfigFile {
        var file = ConfigFile(path: path)
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch let error as YamlError {
            throw ConfigFileError(describe(error, path: path, text: text))
        }
        guard let root else { return file }
        guard case let .mapping(mapping) = root else {
            throw ConfigFileError("\(path): expected `option: value` lines (a YAML mapping) at the top level, found "
                                  + "`\(render(root))`\(at(root)); e.g. `epochs: 3`")
        }
        let types = Dictionary(schema.map { ($0.key, $0.type) }, uniquingKeysWith: { a, _ in a })
        var seen: [String: (spelling: String, line: Int)] = [:]
        for (keyNode, valueNode) in mapping {
            guard case let .scalar(scalar) = keyNode else {
                throw ConfigFileError("\(path): a key must be an option name, found `\(render(keyNode))`\(at(keyNode))")
            }
            let spelling = scalar.string, key = spelling.replacingOccurrences(of: "_", with: "-")
            let line = keyNode.mark?.line ?? 0
            guard let type = types[key] else {
                var warning = "\(path): unknown key `\(spelling)`\(at(keyNode)), ignored"
                if let near = nearest(key, among: schema.map(\.key)) { warning += " (did you mean `\(near)`?)" }
                file.warnings.append(warning)
                continue
            }
            if let first = seen[key] {
                throw ConfigFileError("\(path): key `\(spelling)` (line \(line)) repeats `\(first.spelling)` "
                                      + "(line \(first.line)); give it once")
            }
            seen[key] = (spelling, line)
            if let value = try convert(valueNode, to: type, key: spelling, path: path) { file.values[key] = value }
        }
        return file
    }

    /// `node` as a value of `type`, nil for a YAML null; a type mismatch names the file, key, value and type.
    static func convert(_ node: Node, to type: ConfigType, key: String, path: String) throws -> ConfigValue? {
        let tag = node.tag.description
        if case .scalar = node, tag == Tag.Name.null.rawValue { return nil }
        let wrong = ConfigFileError("\(path): key `\(key)`: value `\(render(node))` is not \(type.expected)\(at(node))")
        let isInt = tag == Tag.Name.int.rawValue, isFloat = tag == Tag.Name.float.rawValue
        switch (type, node) {
        case (.int, _):
            guard isInt, let v = node.int else { throw wrong }
            return .int(v)
        case let (.seed, .scalar(s)):
            guard isInt, let v = UInt64(s.string.replacingOccurrences(of: "_", with: ""))
                    ?? node.int.flatMap({ UInt64(exactly: $0) })
            else { throw wrong }
            return .seed(v)
        case (.float, _):
            guard isInt || isFloat, let v = node.float else { throw wrong }
            return .float(Float(v))
        case (.double, _):
            guard isInt || isFloat, let v = node.float else { throw wrong }
            return .double(v)
        case let (.string, .scalar(s)):
            return .string(s.string)
        case let (.choice(values), .scalar(s)):
            guard values.contains(s.string) else { throw wrong }
            return .string(s.string)
        case let (.list, .scalar(s)):
            return .string(s.string.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .joined(separator: ","))
        case let (.list, .sequence(items)):
            var names: [String] = []
            for item in items {
                guard case let .scalar(s) = item, item.tag.description != Tag.Name.null.rawValue,
                      !s.string.contains(",") else { throw wrong }
                names.append(s.string)
            }
            return .string(names.joined(separator: ","))
        default:
            throw wrong
        }
    }

    /// One paragraph for a YAML syntax error: the file, line and column, libyaml's problem and its context.
    static func describe(_ error: YamlError, path: String, text: String) -> String {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            var message = "\(path): not valid YAML at line \(mark.line), column \(mark.column): \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            return message
        case let .reader(problem, offset, _, _):
            let line = offset.map { text.prefix($0).filter(\.isNewline).count + 1 }
            return "\(path): not valid YAML\(line.map { " at line \($0)" } ?? ""): \(problem)"
        default:
            return "\(path): not valid YAML: \(String(describing: error).replacingOccurrences(of: "\n", with: " "))"
        }
    }

    /// A node as it would be written in flow style, for messages.
    static func render(_ node: Node) -> String {
        switch node {
        case let .scalar(s): return s.string
        case let .sequence(items): return "[" + items.map(render).joined(separator: ", ") + "]"
        case let .mapping(pairs):
            return "{" + pairs.map { render($0.key) + ": " + render($0.value) }.joined(separator: ", ") + "}"
        }
    }

    private static func at(_ node: Node) -> String { node.mark.map { " (line \($0.line))" } ?? "" }

    /// The known key closest to `key` in edit distance, if close enough to be a likely typo.
    static func nearest(_ key: String, among keys: [String]) -> String? {
        let best = keys.map { (key: $0, distance: editDistance(key, $0)) }.min { $0.distance < $1.distance }
        guard let best, best.distance <= max(2, key.count / 3) else { return nil }
        return best.key
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}

extension Train {
    /// Where a config key lands in `Train` (a key is set from the file only when the command line left it nil).
    enum Slot {
        case int(WritableKeyPath<Train, Int?>), seed(WritableKeyPath<Train, UInt64?>)
        case float(WritableKeyPath<Train, Float?>)
        case double(WritableKeyPath<Train, Double?>)
        case string(WritableKeyPath<Train, String?>, ConfigType), method(WritableKeyPath<Train, MethodName?>)
        case weights(WritableKeyPath<Train, WeightPrecision?>)
        case evalTasks(WritableKeyPath<Train, EvaluatedTasks?>)

        var type: ConfigType {
            switch self {
            case .int: return .int
            case .seed: return .seed
            case .float: return .float
            case .double: return .double
            case let .string(_, type): return type
            case .method: return .choice(Methods.names)
            case .weights: return .choice(WeightPrecision.allCases.map(\.rawValue))
            case .evalTasks: return .choice(EvaluatedTasks.allCases.map(\.rawValue))
            }
        }
    }

    /// Every `train` option as a config key (its long option name), in the order RUN/config.yaml lists them.
    static let configKeys: [(key: String, slot: Slot)] = [
        ("model", .string(\.modelOptions.modelArgument, .string)),
        ("weights", .weights(\.modelOptions.weightsArgument)),
        ("method", .method(\.method)),
        ("out", .string(\.out, .string)),
        ("benchmark", .string(\.benchmark, .string)),
        ("data-root", .string(\.dataRoot, .string)),
        ("data", .string(\.data, .string)),
        ("tasks", .string(\.tasks, .list)),
        ("train-per-task", .int(\.training.trainPerTask)),
        ("test-per-task", .int(\.training.testPerTask)),
        ("epochs", .int(\.training.epochs)),
        ("batch-size", .int(\.training.batchSize)),
        ("rows-per-forward", .int(\.training.rowsPerForward)),
        ("eval-batch-size", .int(\.training.evalBatchSize)),
        ("eval-tasks", .evalTasks(\.training.evalTasks)),
        ("lr", .float(\.training.learningRate)),
        ("max-prompt-tokens", .int(\.training.maxPromptTokens)),
        ("targets", .string(\.training.targets, .list)),
        ("seed", .seed(\.training.seed)),
        ("seeds", .string(\.seeds, .list)),
    ] + methodKeys + [
        ("export-peer", .string(\.exportPeer, .string)),
    ]

    /// The methods' options (MethodArguments.fields), each with the type the registry declares.
    static let methodKeys: [(key: String, slot: Slot)] = MethodArguments.fields.map { name, field in
        let arguments = \Train.methodArguments
        switch field {
        case let .int(p): return (name, .int(arguments.appending(path: p)))
        case let .float(p): return (name, .float(arguments.appending(path: p)))
        case let .double(p): return (name, .double(arguments.appending(path: p)))
        case let .text(p):
            let kind = Methods.options.first { $0.name == name }?.kind
            let type: ConfigType = switch kind {
            case let .choice(names)?: .choice(names)
            case .list?: .list
            default: .string
            }
            return (name, .string(arguments.appending(path: p), type))
        }
    }

    private func isSet(_ slot: Slot) -> Bool {
        switch slot {
        case let .int(p): return self[keyPath: p] != nil
        case let .seed(p): return self[keyPath: p] != nil
        case let .float(p): return self[keyPath: p] != nil
        case let .double(p): return self[keyPath: p] != nil
        case let .string(p, _): return self[keyPath: p] != nil
        case let .method(p): return self[keyPath: p] != nil
        case let .weights(p): return self[keyPath: p] != nil
        case let .evalTasks(p): return self[keyPath: p] != nil
        }
    }

    private mutating func assign(_ value: ConfigValue, to slot: Slot) {
        switch (slot, value) {
        case let (.int(p), .int(v)): self[keyPath: p] = v
        case let (.seed(p), .seed(v)): self[keyPath: p] = v
        case let (.float(p), .float(v)): self[keyPath: p] = v
        case let (.double(p), .double(v)): self[keyPath: p] = v
        case let (.string(p, _), .string(v)): self[keyPath: p] = v
        case let (.method(p), .string(v)): self[keyPath: p] = MethodName(argument: v)
        case let (.weights(p), .string(v)): self[keyPath: p] = WeightPrecision(rawValue: v)
        case let (.evalTasks(p), .string(v)): self[keyPath: p] = EvaluatedTasks(rawValue: v)
        default: preconditionFailure("config value \(value) does not fit its key")  // convert(_:to:) checked the type
        }
    }

    /// Fills every option the command line left unset from `--config` (command line > file > defaults), prints
    /// the file's warnings, and returns where each option's value came from (key → "command line" or the file).
    /// The task source is one choice: `--benchmark` or `--data` on the command line replaces the file's.
    mutating func mergeConfigFile(quiet: Bool = false) throws -> [String: String] {
        var sources: [String: String] = [:]
        for (key, slot) in Self.configKeys where isSet(slot) { sources[key] = "command line" }
        guard let config else { return sources }
        let file = try ConfigFile.read(config, schema: Self.configKeys.map { ($0.key, $0.slot.type) })
        if !quiet { for warning in file.warnings { standardError("warning: " + warning) } }
        let sourceOnCommandLine = benchmark != nil || data != nil
        for (key, slot) in Self.configKeys where !isSet(slot) {
            guard let value = file.values[key], !(sourceOnCommandLine && (key == "benchmark" || key == "data")) else {
                continue
            }
            assign(value, to: slot)
            sources[key] = config
        }
        return sources
    }

    /// What `validate()` checks once the file is merged; a usage error as before the file existed.
    func validateMerged() throws {
        guard out != nil else {
            throw ValidationError("Missing expected argument '--out <out>' (or `out:` in the --config file)")
        }
        guard (benchmark == nil) != (data == nil) else {
            throw ValidationError("give exactly one of --benchmark NAME or --data DIR --tasks a,b,c")
        }
        if data != nil && tasks == nil {
            throw ValidationError("--data needs --tasks a,b,c (the task folders, in order)")
        }
        if let tasks, tasks.split(separator: ",", omittingEmptySubsequences: false)
            .contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ValidationError("--tasks must name task folders separated by commas, without empty names, "
                                  + "got \"\(tasks)\"")
        }
        _ = try seedList()
        let method = (self.method ?? .seta).method
        if methodArguments.initAdapters != nil, !method.reads("init-adapters") {
            let readers = Methods.defaults(of: "init-adapters").map(\.method)
            throw ValidationError("--init-adapters starts each task's own LoRA: it works with --method "
                                  + "\(readers.joined(separator: " or ")), not \(method.name)")
        }
    }

    /// RUN/config.yaml: every option's final value, each with where it came from; `seta train --config` reads it back.
    func resolvedConfigYAML(sources: [String: String]) -> String {
        let method = (self.method ?? .seta).method, o = training.options()
        func string(_ s: String) -> Node {
            let plain = Resolver.default.resolveTag(of: Node(s)) == .str && !s.contains(where: { $0.isNewline })
            return Node(s, Tag(.str), plain ? .any : .doubleQuoted)
        }
        func int(_ i: Int) -> Node { Node(String(i)) }
        func float(_ f: Float) -> Node { Node(f.isNaN ? ".nan" : f.isInfinite ? (f < 0 ? "-.inf" : ".inf") : "\(f)") }
        func list(_ s: String) -> Node { Node(s.split(separator: ",").map { string(String($0)) }, Tag(.seq), .flow) }
        func node(_ value: OptionValue?) -> Node {
            switch value {
            case let .int(i)?: return int(i)
            case let .float(f)?: return float(f)
            case let .double(d)?: return Node("\(d)")
            case let .text(s)?: return string(s)
            case nil: return Node("null")
            }
        }
        let root = benchmark == nil ? dataRoot : Benchmark.defaultDataRoot(argument: dataRoot)?.path
        var values: [String: Node?] = [
            "model": string(modelOptions.model), "weights": string(modelOptions.weights.rawValue),
            "method": string(method.name), "out": out.map(string),
            "benchmark": benchmark.map(string), "data-root": root.map(string), "data": data.map(string),
            "tasks": tasks.map(list),
            "train-per-task": o.trainPerTask.map(int), "test-per-task": o.testPerTask.map(int), "epochs": int(o.epochs),
            "batch-size": int(o.batchSize), "rows-per-forward": int(o.rowsPerForward),
            "eval-batch-size": int(o.evalBatchSize),
            "eval-tasks": string((o.evaluatedTasks ?? .all).rawValue),
            "lr": float(o.learningRate), "max-prompt-tokens": int(o.maxPromptTokens),
            "seed": Node(String(o.seed)), "seeds": seeds.map(list), "export-peer": exportPeer.map(string),
        ]
        // The methods' options (targets among them): the method's own values, or the first method's that reads one.
        for (name, value) in Methods.resolved(methodSettings, method: method) { values[name] = node(value) }
        var text = """
            # seta train: the resolved options of this run (command line > config file > defaults), \
            each with its origin.
            # To run it again: seta train --config \(out ?? "RUN")/config.yaml --out NEW-RUN

            """
        for (key, _) in Self.configKeys {
            let value = (values[key] ?? nil) ?? Node("null")
            var line = ((try? Yams.serialize(node: Node([(Node(key), value)]), width: -1)) ?? "\(key): null\n")
            var source = sources[key] ?? "default"
            if Methods.options.contains(where: { $0.name == key }) && !method.reads(key) {
                source += ", unused by \(method.name)"
            }
            if line.dropLast().contains(where: \.isNewline) == false {
                line = line.dropLast().padding(toLength: max(line.count + 1, 36), withPad: " ", startingAt: 0)
                    + "# " + source + "\n"
            }
            text += line
        }
        return text
    }
}
