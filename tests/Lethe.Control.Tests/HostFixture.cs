using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>One real control plane (and its own database) shared by the tests of a class; they use distinct policy names.</summary>
public sealed class HostFixture : IAsyncLifetime
{
    private ControlPlaneHost? _host;

    public ControlPlaneHost Host => _host ?? throw new InvalidOperationException("the control plane has not started");

    public async Task InitializeAsync() => _host = await ControlPlaneHost.Start();

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
