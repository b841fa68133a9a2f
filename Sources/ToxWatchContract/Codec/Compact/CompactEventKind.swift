/// The kind of a compact event record: the first byte of its header.
package enum CompactEventKind: UInt8, Sendable, CaseIterable {
    case patient = 1
    case vitals = 2
    case neuro = 3
    case lab = 4
    case finding = 5
    case medication = 6
}
