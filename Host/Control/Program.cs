using Lethe.Control.Cli;

var http = new Lazy<HttpClient>(() => new HttpClient { Timeout = TimeSpan.FromSeconds(30) });
return await LetheCli.Run(args, Console.Out, Console.Error, Console.In, () => http.Value);
