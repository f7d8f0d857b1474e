import Foundation

/// A minimal GGUF *metadata* reader for the tokenizer tests: parses the header and the key/value
/// section (stopping before tensor infos) and extracts the `tokenizer.*` entries.
struct GGUFVocabulary {
    var model: String
    var pre: String?
    var tokens: [String]
    var merges: [String]
    var tokenTypes: [Int]?
    var bosTokenId: Int?
    var eosTokenId: Int?
    var padTokenId: Int?
    var unknownTokenId: Int?
    var chatTemplate: String?

    struct ReadError: Error, CustomStringConvertible {
        var description: String
    }

    enum Value {
        case int(Int64), uint(UInt64), float(Double), bool(Bool), string(String), array([Value])

        var int: Int? {
            switch self {
            case .int(let v): return Int(v)
            case .uint(let v): return Int(v)
            default: return nil
            }
        }
        var string: String? { if case .string(let s) = self { return s }; return nil }
        var array: [Value]? { if case .array(let a) = self { return a }; return nil }
    }

    init(url: URL) throws {
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        let file = url.path
        var kv: [String: Value] = [:]
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            func need(_ n: Int) throws {
                guard offset + n <= raw.count else { throw ReadError(description: "\(file): truncated GGUF metadata") }
            }
            func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
                try need(MemoryLayout<T>.size)
                let v = raw.loadUnaligned(fromByteOffset: offset, as: T.self)
                offset += MemoryLayout<T>.size
                return T(littleEndian: v)
            }
            func readString() throws -> String {
                let n = Int(try read(UInt64.self))
                try need(n)
                let s = String(decoding: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + n)]), as: UTF8.self)
                offset += n
                return s
            }
            func readValue(_ type: UInt32) throws -> Value {
                switch type {
                case 0: return .uint(UInt64(try read(UInt8.self)))
                case 1: return .int(Int64(try read(Int8.self)))
                case 2: return .uint(UInt64(try read(UInt16.self)))
                case 3: return .int(Int64(try read(Int16.self)))
                case 4: return .uint(UInt64(try read(UInt32.self)))
                case 5: return .int(Int64(try read(Int32.self)))
                case 6: return .float(Double(Float(bitPattern: try read(UInt32.self))))
                case 7: return .bool(try read(UInt8.self) != 0)
                case 8: return .string(try readString())
                case 9:
                    let elementType = try read(UInt32.self)
                    let count = Int(try read(UInt64.self))
                    var items: [Value] = []
                    items.reserveCapacity(count)
                    for _ in 0..<count { items.append(try readValue(elementType)) }
                    return .array(items)
                case 10: return .uint(try read(UInt64.self))
                case 11: return .int(try read(Int64.self))
                case 12: return .float(Double(bitPattern: try read(UInt64.self)))
                default: throw ReadError(description: "\(file): unknown GGUF value type \(type)")
                }
            }
            guard try read(UInt32.self) == 0x4655_4747 else { throw ReadError(description: "\(file): not a GGUF file") }
            let version = try read(UInt32.self)
            guard version >= 2 else { throw ReadError(description: "\(file): unsupported GGUF version \(version)") }
            _ = try read(UInt64.self)  // tensor count
            let kvCount = try read(UInt64.self)
            for _ in 0..<kvCount {
                let key = try readString()
                let type = try read(UInt32.self)
                kv[key] = try readValue(type)
            }
        }
        func strings(_ key: String) throws -> [String] {
            guard let a = kv[key]?.array else { throw ReadError(description: "\(file): missing \(key)") }
            return a.compactMap(\.string)
        }
        guard let model = kv["tokenizer.ggml.model"]?.string else {
            throw ReadError(description: "\(file): missing tokenizer.ggml.model")
        }
        self.model = model
        pre = kv["tokenizer.ggml.pre"]?.string
        tokens = try strings("tokenizer.ggml.tokens")
        merges = try strings("tokenizer.ggml.merges")
        tokenTypes = kv["tokenizer.ggml.token_type"]?.array?.compactMap(\.int)
        bosTokenId = kv["tokenizer.ggml.bos_token_id"]?.int
        eosTokenId = kv["tokenizer.ggml.eos_token_id"]?.int
        padTokenId = kv["tokenizer.ggml.padding_token_id"]?.int
        unknownTokenId = kv["tokenizer.ggml.unknown_token_id"]?.int
        chatTemplate = kv["tokenizer.chat_template"]?.string
    }
}
