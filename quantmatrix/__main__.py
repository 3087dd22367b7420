from quantmatrix.cli import main

main()
