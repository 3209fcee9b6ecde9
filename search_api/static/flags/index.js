// The country flags vendored here: SVGs copied unchanged from the flag-icons npm package
// (version 7.5.0, flags/4x3/, MIT licence in ./LICENSE), one per country the catalogue's records
// name. A country without a file gets no flag (never a broken image); to add one, copy its
// flags/4x3/<code>.svg from the same package version and list the code below.
export const FLAGS = new Set(["af", "br", "by", "cn", "cr", "eg", "fr", "in", "ke", "mx", "pe", "ru"]);
