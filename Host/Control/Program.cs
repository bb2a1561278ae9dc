using Lethe.Control.Cli;

var http = new Lazy<HttpClient>(() => ApiHttp.Create());
return await LetheCli.Run(args, Console.Out, Console.Error, Console.In, () => http.Value);
