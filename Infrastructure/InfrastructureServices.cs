using Lethe.Application.Ports;
using Lethe.Infrastructure.Marten;
using Lethe.Infrastructure.Signing;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lethe.Infrastructure;

public static class InfrastructureServices
{
    public static IServiceCollection AddLetheInfrastructure(this IServiceCollection services, string connectionString, bool createSchema,
        string signingKeyPath)
    {
        services.AddMarten(provider =>
        {
            var options = new StoreOptions();
            LetheStoreOptions.Configure(options, connectionString, createSchema);
            // A category of Lethe's own: lethe serve keeps "Marten" at Warning, which would hide the lost-race line.
            options.Logger(new MartenCommandLog(provider.GetService<ILogger<MartenCommandLog>>() ?? NullLogger<MartenCommandLog>.Instance));
            return options;
        }).UseLightweightSessions();
        services.AddScoped<IPolicyStore, MartenPolicyStore>();
        services.AddSingleton(_ => new FileSnapshotSigner(signingKeyPath));
        services.AddSingleton<ISnapshotSigner>(sp => sp.GetRequiredService<FileSnapshotSigner>());
        return services;
    }
}
