namespace Lethe.EndToEnd.Tests.Nft;

/// <summary>
/// A test that needs the nft binary: skipped, and reported as such, where nftables is not installed,
/// except on CI, which installs it, so there a missing one fails the test instead.
/// </summary>
public sealed class NftFactAttribute : FactAttribute
{
    public NftFactAttribute() => Skip = NftCheck.WhyNot();
}

/// <inheritdoc cref="NftFactAttribute"/>
public sealed class NftTheoryAttribute : TheoryAttribute
{
    public NftTheoryAttribute() => Skip = NftCheck.WhyNot();
}
