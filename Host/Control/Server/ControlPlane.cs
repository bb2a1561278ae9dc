using System.Net;
using FluentValidation;
using Lethe.Application.Behaviours;
using Lethe.Application.Common;
using Lethe.Application.Publishing;
using Lethe.Control.Api;
using Lethe.Infrastructure;
using Marten;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Lethe.Control.Server;

/// <summary>The composition root of the control plane's HTTP server.</summary>
public static class ControlPlane
{
    /// <param name="configure">Extra configuration, applied last (tests use it for their database and tokens).</param>
    /// <param name="overrides">Service replacements applied after the defaults (tests replace the clock).</param>
    public static WebApplication Build(string[] args, IDictionary<string, string?>? configure = null, Action<IServiceCollection>? overrides = null)
    {
        // appsettings.json sits beside the binary, wherever the operator starts it from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (configure is not null)
        {
            builder.Configuration.AddInMemoryCollection(configure);
        }
        // Before binding: the binder's own refusals name .NET types and quote values whole.
        SettingChecks.Check(builder.Configuration);
        var settings = builder.Configuration.GetSection(ControlPlaneSettings.Section).Get<ControlPlaneSettings>() ?? new ControlPlaneSettings();
        var connectionString = builder.Configuration.GetConnectionString("Lethe");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException("No database: set ConnectionStrings:Lethe (env ConnectionStrings__Lethe).");
        }
        SettingChecks.CheckConnectionString(connectionString);
        if (string.IsNullOrWhiteSpace(settings.SigningKey))
        {
            throw new InvalidOperationException("No signing key: set Lethe:SigningKey (env Lethe__SigningKey) to the private key made by `lethe keygen`.");
        }
        SettingChecks.CheckUrls(settings.Urls);
        builder.WebHost.UseUrls(settings.Urls);
        builder.Logging.AddFilter("Marten", LogLevel.Warning);
        // A host that fails to start (its port taken, say) is reported by `lethe serve` in one line; the host's own report is a page of stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);

        var services = builder.Services;
        services.Configure<ControlPlaneSettings>(builder.Configuration.GetSection(ControlPlaneSettings.Section));
        // From here to the validators, the application layer: its tests compose it the same way without
        // ASP.NET Core (tests/Lethe.Application.Tests/ApplicationHost.cs), so a change here belongs there too.
        services.AddLetheInfrastructure(connectionString, settings.CreateSchema, settings.SigningKey);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new ControlPlaneOptions { DnsResolvers = settings.ResolverAddresses() });
        services.AddScoped<Actor>();
        services.AddScoped<PolicyWriter>();
        services.AddScoped<Sealing>();
        services.AddSingleton<ConfirmationDeadlines>();
        services.AddMediator(options =>
        {
            options.ServiceLifetime = ServiceLifetime.Scoped;
            options.Assemblies = [typeof(PolicyWriter)];
            options.PipelineBehaviors = [typeof(ValidationBehaviour<,>)];
        });
        services.AddValidatorsFromAssemblyContaining<PolicyWriter>();
        services.AddHostedService<ConfirmationWatchdog>();

        services.AddAuthentication(BearerTokenHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        // Authentication brings in data protection, which would write a key ring under $HOME at start (MemoryKeyRing).
        services.Configure<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>(MemoryKeyRing.Use);
        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.Viewer, p => p.RequireRole(Roles.Granting(Roles.Viewer)))
            .AddPolicy(Roles.Editor, p => p.RequireRole(Roles.Granting(Roles.Editor)))
            .AddPolicy(Roles.Admin, p => p.RequireRole(Roles.Granting(Roles.Admin)));
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            MediaTypeProblem.Describe(context);
            AuthProblem.Describe(context);
            BodySizeProblem.Describe(context);
            RouteProblem.Describe(context);
            ProblemCaching.Forbid(context);
        });
        services.AddSingleton<IProblemDetailsWriter, ProblemJsonWriter>();
        services.AddExceptionHandler<ProblemMapping>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
            // A misspelt optional field ("confirmWithin", "replaceExisting") would otherwise be dropped
            // and the command carried out with its default: a publish with no revert window, say.
            o.SerializerOptions.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow;
            // A field given twice ("replace": false, ..., "replace": true) would be read as its last
            // value, which a reviewer or a log reading the first would not see.
            o.SerializerOptions.AllowDuplicateProperties = false;
            // The web defaults read "position": "3" as 3; a number sent as text is a client's mistake
            // (a form field passed on unconverted, say) that may not say what its sender meant ("3rd").
            o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        });
        services.AddOpenApi(Api.OpenApi.ApiDescription.Configure);
        overrides?.Invoke(services);

        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            // First and at the response's start, so that refusals carry it too: a 401 or 403 ends
            // before the middleware below, and the exception handler clears the headers a handler set.
            var id = CorrelationIds.Choose(context.Request.Headers["X-Correlation-Id"].ToString());
            context.Items[CorrelationIds.Header] = id;
            context.Response.OnStarting(() =>
            {
                context.Response.Headers[CorrelationIds.Header] = id;
                ConflictVersionHeader.Restore(context);
                return Task.CompletedTask;
            });
            await next(context);
        });
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.Use(async (context, next) =>
        {
            // The actor is whoever the token says, never a field of the request.
            var actor = context.RequestServices.GetRequiredService<Actor>();
            actor.Name = context.User.Identity?.Name ?? "anonymous";
            actor.CorrelationId = (string)context.Items[CorrelationIds.Header]!;
            await next(context);
        });
        app.Use(RequestCharset.Filter);

        app.MapGet("/health", () => TypedResults.Ok(HealthStatus.Serving)).AllowAnonymous();
        app.MapOpenApi().RequireAuthorization(Roles.Viewer);
        app.MapPolicies();
        app.MapRules();
        app.MapPublishing();
        return app;
    }

    /// <summary>Fails fast at start when the database or the key is not usable, rather than at the first request.</summary>
    public static async Task CheckReady(WebApplication app, CancellationToken ct)
    {
        var settings = app.Services.GetRequiredService<IOptions<ControlPlaneSettings>>().Value;
        // The binder packs the entries into a list whatever their keys: Lethe__Tokens__7 becomes its first entry.
        CheckTokens(settings.Tokens, app.Configuration.GetSection("Lethe:Tokens").GetChildren().Select(c => c.Key).ToArray());
        CheckConfirmInterval(settings.ConfirmCheckSeconds);
        try
        {
            _ = app.Services.GetRequiredService<Infrastructure.Signing.FileSnapshotSigner>();
        }
        catch (Exception e) when (e is InvalidOperationException or FileNotFoundException)
        {
            // The refusal quotes the path as configured: named for the setting, escaped for the terminal.
            throw new InvalidOperationException($"Lethe:SigningKey (env Lethe__SigningKey): {Lethe.Domain.TerminalText.Safe(e.Message)}", e);
        }
        var store = app.Services.GetRequiredService<IDocumentStore>();
        try
        {
            await Infrastructure.Migrations.MigrationRunner.CheckApplied(app.Configuration.GetConnectionString("Lethe")!, ct);
        }
        catch (Infrastructure.Migrations.MigrationException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }
        if (settings.CreateSchema)
        {
            try
            {
                await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            }
            catch (global::Marten.Exceptions.MartenSchemaException e)
            {
                // Marten's message holds the whole DDL; the database's innermost one says what is wrong.
                var cause = e.GetBaseException().Message;
                throw new InvalidOperationException($"Lethe:CreateSchema could not create the schema: {cause}", e);
            }
        }
        await using var session = store.QuerySession();
        try
        {
            _ = await session.Query<Domain.Policies.Policy>().CountAsync(ct);
        }
        catch (Exception e) when (MissingSchema(e))
        {
            throw new InvalidOperationException("the database has no Lethe schema yet: run `lethe migrate` against it first");
        }
    }

    /// <summary>No such table (42P01) or schema (3F000): a database `lethe migrate` never ran on.</summary>
    private static bool MissingSchema(Exception e) =>
        (e as Npgsql.PostgresException ?? e.InnerException as Npgsql.PostgresException) is { SqlState: "42P01" or "3F000" };

    /// <summary>The watchdog's timer refuses anything else, and would stop the host with no word of why.</summary>
    /// <exception cref="InvalidOperationException">Names the setting and the range it takes.</exception>
    public static void CheckConfirmInterval(double seconds)
    {
        if (!(seconds >= 0.1 && seconds <= 3600))
        {
            throw new InvalidOperationException($"Lethe:ConfirmCheckSeconds must be 0.1 to 3600, not {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }
    }

    /// <summary>
    /// Every token must name who uses it (each change records that actor) and a role that exists;
    /// one that does not would write changes nobody can be held to, or grant nothing without a word.
    /// </summary>
    /// <param name="keys">Each entry's key as configured, in the binder's order (the one GetChildren gives); without them, its position.</param>
    /// <exception cref="InvalidOperationException">Names the first token that is incomplete, by its key.</exception>
    public static void CheckTokens(IReadOnlyList<TokenSettings> tokens, IReadOnlyList<string>? keys = null)
    {
        string Name(int i) => keys is not null && i < keys.Count ? Lethe.Domain.QuotedText.Safe(keys[i]) : i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            // The first entry with a secret is the one that authenticates: a second one would be ignored without a word.
            var problem = string.IsNullOrWhiteSpace(token.Token) ? "Token is empty"
                // A presented token is trimmed (BearerTokenHandler), so one configured with blanks around it could never match.
                : token.Token.Trim().Length != token.Token.Length ? "Token begins or ends with a blank (a space, tab or line break), which no bearer header can carry: remove it"
                : !seen.TryAdd(token.Token, i) ? $"Token is the same secret as Lethe:Tokens:{Name(seen[token.Token])}'s: each actor needs a token of its own"
                : string.IsNullOrWhiteSpace(token.Actor) ? "Actor is empty: every change records who made it"
                // Blanks and zero-width characters alone show as nobody in `lethe history`.
                : !HasVisibleCharacter(token.Actor) ? "Actor has no visible character (only blanks or zero-width characters): every change records who made it"
                // Every viewer reads it in `lethe history`: a line break would make one entry pass for two, an ESC rewrite the reader's terminal.
                : !Lethe.Domain.TerminalText.IsPlain(token.Actor)
                    ? $"Actor must be one line of text: {Lethe.Domain.QuotedText.QuoteSafe(token.Actor)} holds a control character (a line break, a carriage return from a file saved on Windows, an ESC), a line or paragraph separator or a bidirectional override"
                : token.Role is not (Roles.Viewer or Roles.Editor or Roles.Admin) ? $"Role {Lethe.Domain.QuotedText.QuoteSafe(token.Role)} is not viewer, editor or admin"
                : null;
            if (problem is not null)
            {
                throw new InvalidOperationException($"Lethe:Tokens:{Name(i)}: {problem}");
            }
        }
    }

    private static bool HasVisibleCharacter(string text)
    {
        foreach (var c in text)
        {
            if (!char.IsWhiteSpace(c) && char.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.Format)
            {
                return true;
            }
        }
        return false;
    }
}
