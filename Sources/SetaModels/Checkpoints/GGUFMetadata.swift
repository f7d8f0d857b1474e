// GGUF metadata: the value types of the key/value section, and the bounds-checked cursor that reads them (and
// the tensor infos) from the mapped file. Every length and count read from the file is checked against the
// bytes left before anything is allocated or looped over, so a corrupt header cannot ask for more memory or
// iterations than the file size allows; nested arrays stop at depth 8.
import Foundation

// MARK: - Metadata values

public enum GGUFValue: Equatable, Sendable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case float32(Float), bool(Bool), string(String), array([GGUFValue])
    case uint64(UInt64), int64(Int64), float64(Double)

    /// Any integer value (or a bool as 0/1) as `Int`; nil for other kinds or a UInt64 beyond Int.max.
    public var int: Int? {
        switch self {
        case let .uint8(v): return Int(v)
        case let .int8(v): return Int(v)
        case let .uint16(v): return Int(v)
        case let .int16(v): return Int(v)
        case let .uint32(v): return Int(v)
        case let .int32(v): return Int(v)
        case let .uint64(v): return Int(exactly: v)
        case let .int64(v): return Int(v)
        case let .bool(v): return v ? 1 : 0
        default: return nil
        }
    }

    /// Any numeric value as `Double` (integers converted).
    public var double: Double? {
        switch self {
        case let .float32(v): return Double(v)
        case let .float64(v): return v
        default: return int.map(Double.init)
        }
    }

    /// Any numeric value as `Float`.
    public var float: Float? { double.map(Float.init) }

    public var bool: Bool? {
        if case let .bool(v) = self { return v }
        return nil
    }

    public var string: String? {
        if case let .string(v) = self { return v }
        return nil
    }

    public var array: [GGUFValue]? {
        if case let .array(v) = self { return v }
        return nil
    }

    /// An array whose elements are all strings.
    public var stringArray: [String]? {
        guard let a = array else { return nil }
        var out = [String]()
        out.reserveCapacity(a.count)
        for v in a {
            guard let s = v.string else { return nil }
            out.append(s)
        }
        return out
    }

    /// An array whose elements are all integers.
    public var intArray: [Int]? {
        guard let a = array else { return nil }
        var out = [Int]()
        out.reserveCapacity(a.count)
        for v in a {
            guard let i = v.int, !(v.bool != nil) else { return nil }
            out.append(i)
        }
        return out
    }

    /// An array whose elements are all numbers.
    public var floatArray: [Float]? {
        guard let a = array else { return nil }
        var out = [Float]()
        out.reserveCapacity(a.count)
        for v in a {
            guard let f = v.float, v.bool == nil else { return nil }
            out.append(f)
        }
        return out
    }
}

// MARK: - Reader

/// Bounds-checked little-endian cursor over the mapped bytes. Every read throws `truncated` instead of
/// running past the end.
struct GGUFCursor {
    let raw: UnsafeRawBufferPointer
    let file: String
    var position = 0

    var remaining: Int { raw.count - position }

    mutating func need(_ n: Int, _ what: @autoclosure () -> String) throws {
        guard n >= 0, n <= remaining else { throw CheckpointError.truncated(file: file, what: what()) }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        try need(MemoryLayout<T>.size, what())
        let v = T(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: T.self))
        position += MemoryLayout<T>.size
        return v
    }

    /// A u64 count or size that must fit in Int and in the bytes left (each item taking `minBytes`).
    mutating func count(_ what: @autoclosure () -> String, minBytes: Int) throws -> Int {
        let n = try read(UInt64.self, what())
        guard n <= UInt64(Int.max / max(minBytes, 1)), Int(n) * minBytes <= remaining else {
            throw CheckpointError.truncated(
                file: file, what: "\(what()) (\(n) items declared, \(remaining) bytes left)")
        }
        return Int(n)
    }

    mutating func string(_ what: @autoclosure () -> String) throws -> String {
        let n = try count("the length of \(what())", minBytes: 1)
        let s = String(decoding: UnsafeRawBufferPointer(rebasing: raw[position ..< position + n]), as: UTF8.self)
        position += n
        return s
    }

    /// `what` names the value in error messages; it is only evaluated when something goes wrong.
    mutating func value(type: UInt32, _ what: @autoclosure () -> String, depth: Int = 0) throws -> GGUFValue {
        switch type {
        case 0: return .uint8(try read(UInt8.self, what()))
        case 1: return .int8(try read(Int8.self, what()))
        case 2: return .uint16(try read(UInt16.self, what()))
        case 3: return .int16(try read(Int16.self, what()))
        case 4: return .uint32(try read(UInt32.self, what()))
        case 5: return .int32(try read(Int32.self, what()))
        case 6: return .float32(Float(bitPattern: try read(UInt32.self, what())))
        case 7: return .bool(try read(UInt8.self, what()) != 0)
        case 8: return .string(try string(what()))
        case 9:
            guard depth < 8 else {
                throw CheckpointError.invalid(file: file, detail: "\(what()) nests arrays too deeply")
            }
            let elementType = try read(UInt32.self, "the element type of \(what())")
            let size = Self.minSize(of: elementType)
            guard size > 0 else {
                throw CheckpointError.invalid(file: file, detail: "\(what()) has unknown element type \(elementType)")
            }
            let n = try count("the elements of \(what())", minBytes: size)
            var out = [GGUFValue]()
            out.reserveCapacity(n)
            for i in 0 ..< n {
                out.append(try value(type: elementType, "element \(i) of \(what())", depth: depth + 1))
            }
            return .array(out)
        case 10: return .uint64(try read(UInt64.self, what()))
        case 11: return .int64(try read(Int64.self, what()))
        case 12: return .float64(Double(bitPattern: try read(UInt64.self, what())))
        default:
            throw CheckpointError.invalid(file: file, detail: "\(what()) has unknown value type \(type)")
        }
    }

    /// Smallest encoding of a value of `type` in bytes (0 for an unknown type).
    static func minSize(of type: UInt32) -> Int {
        switch type {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 8, 10, 11, 12: return 8
        case 9: return 12
        default: return 0
        }
    }
}
