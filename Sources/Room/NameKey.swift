/// The key under which user and room names are unique, for every protocol alike: the Unicode
/// default lowercase mapping, locale-independent ("Alice", "ALICE" and "alice" collide; see
/// ChatProtocol's `Names.foldForUniqueness`, which states the same rule for the framed client).
/// IRC advertises `CASEMAPPING=ascii`; this mapping folds everything ascii folds, so two nicks
/// an IRC client thinks distinct may still collide here (433), never the reverse.
public enum NameKey {
    @inlinable public static func fold(_ name: String) -> String { name.lowercased() }
}
